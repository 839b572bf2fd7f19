/** Runs the simulator CLI directly: `tsx packages/simulator/src/main.ts --to files --out DIR …`. */
import { runSimCli } from './cli.ts';

process.exitCode = await runSimCli(process.argv.slice(2));

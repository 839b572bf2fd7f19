/**
 * `pnpm ami <command>` — the platform's command line. Each command lives in its own package and
 * is loaded lazily, so `pnpm ami infra status` does not load DuckDB or the simulator.
 */
import { runCli } from './cli.ts';

process.exitCode = await runCli(process.argv.slice(2));

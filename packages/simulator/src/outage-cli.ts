/**
 * `pnpm ami sim outage [--transformer TX-…] [--minutes M] --control URL`: asks a live simulation's
 * control server to take a transformer down now and prints its answer (JSON) on stdout. Exit codes:
 * 0 done, 2 bad arguments, 1 the request failed (one line on stderr).
 */
import { MAX_OUTAGE_MINUTES, type OutageRequest } from './control-api.ts';
import { UsageError, flagArgs, type FlagTypes } from './argv.ts';

export const OUTAGE_HELP = `usage: pnpm ami sim outage [--transformer TX-00001] [--minutes M] --control URL

Takes a transformer of a running live simulation (pnpm ami sim --to kafka --live --control-port P)
down now: its meters send last gasps, no reads while it lasts, restores at the end.

  --control URL        the simulation's control server (printed as "ami sim: control URL")
  --transformer ID     transformer to take down (default: the first one that is not out)
  --minutes M          simulated minutes, 1–${MAX_OUTAGE_MINUTES} (default 30)
  --help               this text
`;

export interface OutageCommand {
  readonly control: string;
  readonly request: OutageRequest;
  readonly help: boolean;
}

const OUTAGE_FLAGS: FlagTypes = { control: 'string', transformer: 'string', minutes: 'string' };

/** Parses `sim outage` arguments (without the words `sim outage`). */
export function parseOutageArgs(argv: readonly string[]): OutageCommand {
  let control: string | undefined;
  let transformer: string | undefined;
  let minutes: number | undefined;
  let help = false;
  for (const arg of flagArgs(argv, OUTAGE_FLAGS, 'pnpm ami sim outage --help')) {
    const { flag } = arg;
    if (flag === '--help') {
      help = true;
      continue;
    }
    const value = (): string => arg.value();
    switch (flag) {
      case '--control': {
        const raw = value();
        let url: URL;
        try {
          url = new URL(raw);
        } catch {
          throw new UsageError(`--control must be a URL like http://127.0.0.1:PORT, got "${raw}"`);
        }
        if (url.protocol !== 'http:') throw new UsageError(`--control must be an http:// URL, got "${raw}"`);
        control = raw.replace(/\/+$/, '');
        break;
      }
      case '--transformer': {
        const t = value();
        if (t.trim() === '') throw new UsageError('--transformer needs a transformer id');
        transformer = t;
        break;
      }
      case '--minutes': {
        const raw = value();
        const n = Number(raw);
        if (!/^\d+$/.test(raw) || n < 1 || n > MAX_OUTAGE_MINUTES) {
          throw new UsageError(`--minutes must be an integer 1–${MAX_OUTAGE_MINUTES}, got "${raw}"`);
        }
        minutes = n;
        break;
      }
    }
  }
  if (!help && control === undefined) throw new UsageError('--control URL is required');
  const request: OutageRequest = {
    ...(transformer === undefined ? {} : { transformer_id: transformer }),
    ...(minutes === undefined ? {} : { minutes }),
  };
  return { control: control ?? '', request, help };
}

/** Runs `sim outage`; never throws. */
export async function runOutageCli(argv: readonly string[]): Promise<number> {
  let cmd: OutageCommand;
  try {
    cmd = parseOutageArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ami sim outage: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (cmd.help) {
    process.stdout.write(OUTAGE_HELP);
    return 0;
  }
  try {
    const res = await fetch(`${cmd.control}/faults/outage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(cmd.request),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) {
      let message = text.trim();
      try {
        const body = JSON.parse(text) as { message?: unknown };
        if (typeof body.message === 'string') message = body.message;
      } catch {
        // not JSON: print the text as it is
      }
      process.stderr.write(`ami sim outage: HTTP ${res.status}: ${message}\n`);
      return 1;
    }
    process.stdout.write(text.endsWith('\n') ? text : text + '\n');
    return 0;
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    process.stderr.write(
      `ami sim outage: cannot reach ${cmd.control}: ${err instanceof Error ? err.message : String(err)}${cause}\n`,
    );
    return 1;
  }
}

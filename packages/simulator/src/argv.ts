/**
 * The simulator commands' argument reader: `--flag value`, `--flag=value` and `--help`/`-h`; any
 * other word is a UsageError (one line naming it; the CLI prints it and exits with 2).
 */

export class UsageError extends Error {}

export interface FlagArg {
  /** `--meters`, or `--help` for `-h` too. */
  readonly flag: string;
  /** Whether the value came inline (`--flag=value`). */
  readonly inline: boolean;
  /** The flag's value: inline, or the next argument (consumed); a UsageError when there is none. */
  value(): string;
}

/** The flags of `argv` in order; a flag's `value()` must be taken before the next flag is read. */
export function* flagArgs(argv: readonly string[]): Generator<FlagArg> {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      yield { flag: '--help', inline: false, value: () => '' };
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    yield {
      flag,
      inline: eq >= 0,
      value: () => {
        if (eq >= 0) return arg.slice(eq + 1);
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
        i++;
        return next;
      },
    };
  }
}

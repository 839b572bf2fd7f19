/**
 * The simulator commands' argument reader, on node:util `parseArgs` as the CLI's commands are:
 * `--flag value`, `--flag=value` and `--help`/`-h`, in order. parseArgs runs non-strict, with
 * tokens, so that each mistake stays the one-line UsageError the commands have always printed
 * (the CLI prints it and exits with 2): a word that is not a flag, an unknown flag, a flag without
 * its value (none, or the next argument is itself a `--` flag).
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {}

/** A command's flags (names without `--`, besides help) and whether each takes a value. */
export type FlagTypes = Readonly<Record<string, 'string' | 'boolean'>>;

export interface FlagArg {
  /** `--meters`, or `--help` for `-h` too. */
  readonly flag: string;
  /** Whether a value came inline (`--flag=value`). */
  readonly inline: boolean;
  /** A string flag's value (inline or the next argument); a UsageError when there is none. */
  value(): string;
}

/**
 * The flags of `argv` in order, checked one by one as they are taken (so the first mistake in
 * argv order is the one reported). `helpCommand` is named in the unknown-flag message.
 */
export function* flagArgs(
  argv: readonly string[],
  flags: FlagTypes,
  helpCommand: string,
): Generator<FlagArg> {
  const options = Object.fromEntries(Object.entries(flags).map(([name, type]) => [name, { type }]));
  const { tokens } = parseArgs({
    args: [...argv],
    options: { ...options, help: { type: 'boolean', short: 'h' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind === 'positional') throw new UsageError(`unexpected argument "${t.value}"`);
    if (t.kind === 'option-terminator') throw new UsageError(`unknown option -- (see ${helpCommand})`);
    if (t.name === 'help') {
      yield { flag: '--help', inline: t.inlineValue === true, value: () => '' };
      continue;
    }
    // Short flags other than -h are not words of these commands (a group like -hx included).
    if (!t.rawName.startsWith('--')) throw new UsageError(`unexpected argument "${argv[t.index] ?? ''}"`);
    if (!Object.hasOwn(flags, t.name))
      throw new UsageError(`unknown option ${t.rawName} (see ${helpCommand})`);
    const flag = t.rawName;
    const inline = t.inlineValue === true;
    const raw = t.value;
    yield {
      flag,
      inline,
      value: () => {
        if (raw === undefined || (!inline && raw.startsWith('--')))
          throw new UsageError(`${flag} needs a value`);
        return raw;
      },
    };
  }
}

/**
 * A pino logger for a process a person runs from a terminal (the live simulator): each line goes
 * to stderr as `<prefix>: <msg>` instead of JSON — led by the signal when the line has a `signal`
 * field, followed by the error when it has an `err` field.
 */
import { pino, type LevelWithSilent, type Logger } from 'pino';

interface LogLine {
  readonly msg?: string;
  readonly signal?: string;
  readonly err?: { readonly message?: string; readonly stack?: string };
}

export function createCommandLineLogger(prefix: string, level: LevelWithSilent = 'info'): Logger {
  return pino(
    { level, base: undefined, timestamp: false },
    {
      write: (json: string) => {
        const line = JSON.parse(json) as LogLine;
        const signal = line.signal === undefined ? '' : `${line.signal}: `;
        const err = line.err === undefined ? '' : `: ${line.err.stack ?? line.err.message ?? ''}`;
        process.stderr.write(`${prefix}: ${signal}${line.msg ?? ''}${err}\n`);
      },
    },
  );
}

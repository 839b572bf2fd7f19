/**
 * External programs the installers need (java, mvn, go, redis-server, apt-get): finding them on
 * PATH and running them to completion with their output kept in an install log.
 */
import { execFile, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { InfraError } from './errors.ts';
import { indent, readLogTail } from './logs.ts';

/** The absolute path of `name` on PATH, or null. */
export function findExecutable(name: string, pathEnv: string = process.env.PATH ?? ''): string | null {
  for (const dir of pathEnv.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Like findExecutable, but a missing program is an InfraError saying how to get it. */
export function requireExecutable(name: string, howToInstall: string): string {
  const found = findExecutable(name);
  if (found === null) throw new InfraError(`\`${name}\` is not on PATH: ${howToInstall}`);
  return found;
}

/** Runs a short command and returns stdout + stderr (version checks). */
export function commandOutput(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new InfraError(`\`${command} ${args.join(' ')}\` failed: ${err.message}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** stdout and stderr are appended here; its tail is quoted when the command fails. */
  readonly logFile: string;
  /** Shown in the error message, e.g. "resolving the Kafka jars with Maven". */
  readonly what: string;
}

/** Runs a command to completion; a non-zero exit is an InfraError quoting the log's last lines. */
export async function runLogged(command: string, args: readonly string[], opts: RunOptions): Promise<void> {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  try {
    writeSync(fd, `\n$ ${command} ${args.join(' ')}   # ${new Date().toISOString()}\n`);
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(command, [...args], {
        cwd: opts.cwd,
        env: { ...process.env, ...opts.env },
        stdio: ['ignore', fd, fd],
      });
      child.once('error', reject);
      child.once('close', (c, sig) => resolve(c ?? (sig ? 128 : 1)));
    });
    if (code !== 0) {
      throw new InfraError(
        `${opts.what} failed (\`${command}\` exited with ${code}). Last lines of ${opts.logFile}:\n` +
          indent(readLogTail(opts.logFile, 25)),
      );
    }
  } catch (err) {
    if (err instanceof InfraError) throw err;
    throw new InfraError(`${opts.what} failed: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

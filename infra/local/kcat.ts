/**
 * kcat (formerly kafkacat), the librdkafka command-line producer and consumer, for the tests that
 * play a third-party head-end: a librdkafka producer on its defaults places keyed messages by
 * CRC-32 (`consistent_random`), not by the Java client's murmur2 (ADR 0011). Debian's `kcat` on
 * PATH, else Debian's package installed with apt-get when we are root (as redis.ts installs
 * redis-server and chromium.ts chromium). Anything else is an InfraError saying what to do.
 */
import { join } from 'node:path';
import { loadConfig } from '@ami/shared/config';
import { InfraError } from './errors.ts';
import { infraPaths } from './paths.ts';
import { commandOutput, findExecutable, runLogged } from './tools.ts';

export interface EnsureKcatOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines (apt-get takes a few seconds to a minute). */
  readonly log?: (line: string) => void;
  /** apt-get output goes here (default: <AMI_CACHE_DIR>/logs/kcat-install.log). */
  readonly installLog?: string;
}

/** kcat on PATH (or its older name kafkacat), without installing anything; undefined = none. */
export function findKcat(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = env.PATH ?? '';
  return findExecutable('kcat', path) ?? findExecutable('kafkacat', path) ?? undefined;
}

/** The path of a usable kcat, installing Debian's package when needed and possible. */
export async function ensureKcat(opts: EnsureKcatOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const found = findKcat(env);
  if (found !== undefined) return found;
  const aptGet = findExecutable('apt-get', env.PATH ?? '');
  if (aptGet === null || process.getuid?.() !== 0) {
    throw new InfraError('no kcat found: install it (as root on Debian: apt-get install -y kcat)');
  }
  const logFile =
    opts.installLog ?? join(infraPaths(loadConfig(env).runtime.cacheDir).logsDir, 'kcat-install.log');
  opts.log?.(`kcat is missing: installing Debian's kcat with apt-get (log: ${logFile})`);
  const run = { logFile, env: { DEBIAN_FRONTEND: 'noninteractive' } };
  await runLogged(aptGet, ['update'], { ...run, what: 'apt-get update' });
  await runLogged(aptGet, ['install', '-y', '--no-install-recommends', 'kcat'], {
    ...run,
    what: 'apt-get install kcat',
  });
  const installed = findKcat(env);
  if (installed === undefined) throw new InfraError('apt-get installed kcat, but no kcat is on PATH');
  return installed;
}

/** kcat's and its librdkafka's versions (`kcat -V`, e.g. "kcat - Apache Kafka producer … version 1.7.1 … librdkafka version 2.x"). */
export function kcatVersion(path: string): Promise<string> {
  return commandOutput(path, ['-V']).then((s) => s.trim());
}

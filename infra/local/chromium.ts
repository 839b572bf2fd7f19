/**
 * A headless-capable Chromium for the dashboard's browser test (driven by playwright-core, which
 * brings no browser of its own): AMI_CHROMIUM_PATH when set, else Debian's `chromium` on PATH
 * (/usr/bin/chromium), else Debian's package installed with apt-get when we are root (as
 * redis.ts installs redis-server). Anything else is an InfraError saying what to do.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@ami/shared/config';
import { InfraError } from './errors.ts';
import { infraPaths } from './paths.ts';
import { commandOutput, findExecutable, runLogged } from './tools.ts';

export const CHROMIUM_PATH_ENV = 'AMI_CHROMIUM_PATH';
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export interface EnsureChromiumOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines (the apt-get install takes a minute or two). */
  readonly log?: (line: string) => void;
  /** apt-get output goes here (default: <AMI_CACHE_DIR>/logs/chromium-install.log). */
  readonly installLog?: string;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The chromium to use without installing anything (undefined = none found). */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env[CHROMIUM_PATH_ENV];
  if (configured !== undefined && configured !== '') {
    if (!isExecutable(configured))
      throw new InfraError(`${CHROMIUM_PATH_ENV}=${configured} is not an executable file`);
    return configured;
  }
  if (isExecutable(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  return findExecutable('chromium', env.PATH ?? '') ?? undefined;
}

/** The path of a usable chromium, installing Debian's package when needed and possible. */
export async function ensureChromium(opts: EnsureChromiumOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const found = findChromium(env);
  if (found !== undefined) return found;
  const aptGet = findExecutable('apt-get', env.PATH ?? '');
  if (aptGet === null || process.getuid?.() !== 0) {
    throw new InfraError(
      'no chromium found: install it (as root on Debian: apt-get install -y chromium) ' +
        `or set ${CHROMIUM_PATH_ENV} to a Chromium or Chrome executable`,
    );
  }
  const logFile =
    opts.installLog ?? join(infraPaths(loadConfig(env).runtime.cacheDir).logsDir, 'chromium-install.log');
  opts.log?.(`chromium is missing: installing Debian's chromium with apt-get (log: ${logFile})`);
  const run = { logFile, env: { DEBIAN_FRONTEND: 'noninteractive' } };
  await runLogged(aptGet, ['update'], { ...run, what: 'apt-get update' });
  await runLogged(aptGet, ['install', '-y', '--no-install-recommends', 'chromium'], {
    ...run,
    what: 'apt-get install chromium',
  });
  const installed = findChromium(env);
  if (installed === undefined)
    throw new InfraError('apt-get installed chromium, but no chromium executable is found');
  return installed;
}

/** `chromium --version` (e.g. "Chromium 142.0.7444.59 built on Debian …"). */
export function chromiumVersion(path: string): Promise<string> {
  return commandOutput(path, ['--version']).then((s) => s.trim());
}

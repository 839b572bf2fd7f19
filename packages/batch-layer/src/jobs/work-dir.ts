/**
 * The batch worker's private directory `<root>/<pid>` (its S3 object cache and DuckDB scratch
 * files): private so that several workers on one host never share files. A worker removes its own
 * directory when it closes; one killed before that leaves it behind, so each worker, at start,
 * removes the directories of processes that are no longer alive.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Whether a process with this pid exists (EPERM: it exists but is not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid-named entries of `root` whose process is gone (pure, for the unit test). */
export function staleWorkDirs(
  names: readonly string[],
  self: number,
  alive: (pid: number) => boolean,
): string[] {
  return names.filter((n) => /^\d+$/.test(n) && Number(n) !== self && !alive(Number(n)));
}

export interface WorkDir {
  readonly path: string;
  /** Directories of dead workers removed at start. */
  readonly removedStale: readonly string[];
  remove(): Promise<void>;
}

/** Creates `<root>/<pid>` after removing the directories of dead workers. */
export async function openWorkDir(root: string, pid = process.pid): Promise<WorkDir> {
  await mkdir(root, { recursive: true });
  const stale = staleWorkDirs(await readdir(root), pid, processAlive);
  for (const name of stale) await rm(join(root, name), { recursive: true, force: true });
  const path = join(root, String(pid));
  await mkdir(path, { recursive: true });
  return { path, removedStale: stale, remove: () => rm(path, { recursive: true, force: true }) };
}

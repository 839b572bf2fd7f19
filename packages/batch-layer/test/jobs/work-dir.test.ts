import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openWorkDir, processAlive, staleWorkDirs } from '../../src/jobs/work-dir.ts';

describe('batch worker work directory', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  });

  it('picks the pid-named directories of dead processes, never its own or other names', () => {
    const alive = (pid: number) => pid === 20 || pid === 30;
    expect(staleWorkDirs(['10', '20', '30', '40', 'notes', '5a'], 30, alive)).toEqual(['10', '40']);
    expect(staleWorkDirs(['40'], 40, () => false)).toEqual([]);
  });

  it("removes dead workers' directories at start and its own on remove()", async () => {
    const root = mkdtempSync(join(tmpdir(), 'ami-workdir-'));
    roots.push(root);
    // a pid that surely exited: a child that has already finished
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    expect(processAlive(dead)).toBe(false);
    expect(processAlive(process.pid)).toBe(true);
    for (const name of [String(dead), String(process.ppid), 'keep']) {
      mkdirSync(join(root, name, 'cache'), { recursive: true });
      writeFileSync(join(root, name, 'cache', 'f.parquet'), 'x');
    }
    const dir = await openWorkDir(root);
    expect(dir.path).toBe(join(root, String(process.pid)));
    expect(dir.removedStale).toEqual([String(dead)]);
    expect(readdirSync(root).sort()).toEqual([String(process.pid), String(process.ppid), 'keep'].sort());
    await dir.remove();
    expect(existsSync(dir.path)).toBe(false);
  });
});

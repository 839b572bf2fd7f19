import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureKcat, findKcat } from '../local/kcat.ts';

/** A directory holding executables of these names. */
function binDir(...names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'kcat-path-'));
  for (const name of names) {
    writeFileSync(join(dir, name), '#!/bin/sh\n');
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

describe('findKcat / ensureKcat', () => {
  it('finds kcat on PATH, else its older name kafkacat, else nothing', () => {
    const both = binDir('kcat', 'kafkacat');
    const old = binDir('kafkacat');
    const none = binDir();
    expect(findKcat({ PATH: both })).toBe(join(both, 'kcat'));
    expect(findKcat({ PATH: `${none}:${old}` })).toBe(join(old, 'kafkacat'));
    expect(findKcat({ PATH: none })).toBeUndefined();
  });

  it('returns the kcat on PATH without installing anything', async () => {
    const dir = binDir('kcat');
    await expect(ensureKcat({ env: { PATH: dir } })).resolves.toBe(join(dir, 'kcat'));
  });

  it('says how to install kcat when it is missing and apt-get is not there', async () => {
    await expect(ensureKcat({ env: { PATH: binDir() } })).rejects.toThrow(/apt-get install -y kcat/);
  });
});

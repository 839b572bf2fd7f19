import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@ami/shared/bench';
import { allSettingGroups, configurationMarkdown, reasonCodesMarkdown } from '../src/config.ts';

describe('configuration reference', () => {
  it('docs/configuration.md is what `pnpm ami config --markdown` prints', () => {
    const onDisk = readFileSync(join(repoRoot, 'docs', 'configuration.md'), 'utf8');
    expect(onDisk).toBe(configurationMarkdown());
  });

  it('docs/reason-codes.md is what `pnpm ami config --reasons` prints', () => {
    expect(readFileSync(join(repoRoot, 'docs', 'reason-codes.md'), 'utf8')).toBe(reasonCodesMarkdown());
  });

  it('declares every variable once across all groups', () => {
    const names = Object.values(allSettingGroups).flatMap((g) => Object.values(g).map((s) => s.env));
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['KAFKA_BROKERS', 'AMI_TIMEZONE', 'AMI_TOU_CALENDAR_FILE']));
  });
});

import { describe, expect, it } from 'vitest';
import { readSettings } from '@ami/shared/config';
import { isBuildId } from '@ami/shared/catalog';
import { catalogWriterSettings, MAX_STAGED_AGE_MS } from '../../src/catalog/settings.ts';
import { newBuildId } from '../../src/catalog/publisher.ts';

describe('catalog writer settings', () => {
  it('defaults to 30 days of history and a 24 h orphan grace', () => {
    expect(readSettings(catalogWriterSettings, {})).toEqual({ retentionDays: 30, orphanGraceHours: 24 });
  });

  it('refuses a grace period shorter than a publish may take', () => {
    expect(MAX_STAGED_AGE_MS).toBeLessThan(2 * 3600_000);
    expect(() => readSettings(catalogWriterSettings, { AMI_CATALOG_ORPHAN_GRACE_HOURS: '1' })).toThrow(
      /AMI_CATALOG_ORPHAN_GRACE_HOURS/,
    );
    expect(() => readSettings(catalogWriterSettings, { AMI_CATALOG_RETENTION_DAYS: '-1' })).toThrow(
      /AMI_CATALOG_RETENTION_DAYS/,
    );
  });
});

describe('newBuildId', () => {
  it('is a valid, time-sortable, unique build id', () => {
    const a = newBuildId(Date.UTC(2026, 2, 1, 2, 0, 0, 500));
    expect(a).toMatch(/^20260301T020000Z-[0-9a-f]{8}$/);
    expect(isBuildId(a)).toBe(true);
    expect(newBuildId(Date.UTC(2026, 2, 1, 2, 0, 0))).not.toBe(newBuildId(Date.UTC(2026, 2, 1, 2, 0, 0)));
    expect(newBuildId(Date.UTC(2026, 2, 1, 2, 0, 1)) > a).toBe(true);
  });
});

/**
 * Settings of the catalog writer: how long earlier catalog versions (and the files only they
 * reference) are kept for audit and rollback, and the grace period before unreferenced uploads are
 * treated as abandoned.
 */
import {
  parse,
  readSettings,
  setting,
  type Env,
  type SettingsOf,
  type SettingsSpec,
} from '@ami/shared/config';

/** A publish must commit within this time of staging its files (see orphan grace). */
export const MAX_STAGED_AGE_MS = 60 * 60 * 1000;

export const catalogWriterSettings = {
  retentionDays: setting(
    'AMI_CATALOG_RETENTION_DAYS',
    'Days an earlier catalog version (and files only it references) is kept for audit and rollback after it was replaced',
    '30',
    parse.int(0, 36_500),
  ),
  orphanGraceHours: setting(
    'AMI_CATALOG_ORPHAN_GRACE_HOURS',
    'Hours before uploaded but never committed view files and snapshots are garbage (≥ 2: a publish commits within 1 h of uploading)',
    '24',
    parse.int(2, 8_760),
  ),
} as const satisfies SettingsSpec;

export type CatalogWriterSettings = SettingsOf<typeof catalogWriterSettings>;

export function loadCatalogWriterSettings(env: Env = process.env): CatalogWriterSettings {
  return readSettings(catalogWriterSettings, env);
}

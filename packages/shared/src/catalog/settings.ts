/**
 * Settings shared by catalog readers and writers (the writer's retention settings are the batch
 * layer's: catalogWriterSettings in @ami/batch-layer).
 */
import { parse, setting, type SettingsSpec } from '../config/settings.ts';

export const catalogSettings = {
  prefix: setting(
    'AMI_CATALOG_PREFIX',
    'Key prefix (in S3_BUCKET) of the published batch views (views/) and their catalog (catalog/); empty = bucket root',
    '',
    (raw: string): string => {
      if (raw.includes('..') || raw.startsWith('/') || /\s/.test(raw))
        throw new Error('must be a relative key prefix');
      return raw === '' || raw.endsWith('/') ? raw : `${raw}/`;
    },
  ),
  refreshMs: setting(
    'AMI_CATALOG_REFRESH_MS',
    'Readers re-check the catalog HEAD (conditional GET) at most this often, in ms',
    '1000',
    parse.int(0, 3_600_000),
  ),
} as const satisfies SettingsSpec;

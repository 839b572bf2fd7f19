/** Settings of reconciliation reports (where they are stored). */
import { readSettings, setting, type Env, type SettingsOf, type SettingsSpec } from '@ami/shared/config';
import { parseKeyPrefix } from '../archiver/config.ts';

export const reconciliationSettings = {
  s3Prefix: setting(
    'AMI_RECONCILIATION_PREFIX',
    "Key prefix in S3_BUCKET of the stored reconciliation reports (reconciliation/date=D.json); empty = bucket root, else ends in '/'",
    '',
    parseKeyPrefix,
  ),
} as const satisfies SettingsSpec;

export type ReconciliationSettings = SettingsOf<typeof reconciliationSettings>;

export function loadReconciliationSettings(env: Env = process.env): ReconciliationSettings {
  return readSettings(reconciliationSettings, env);
}

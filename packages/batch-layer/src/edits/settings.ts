/**
 * Settings of the edit store (manual edits and storm releases). The dirty-day marks an edit sets
 * are the archiver's (`AMI_ARCHIVER_DIRTY_KEY_PREFIX`), so the late-data sweep sees them.
 */
import { readSettings, setting, type Env, type SettingsOf, type SettingsSpec } from '@ami/shared/config';
import { parseKeyPrefix } from '../archiver/config.ts';

export const editSettings = {
  s3Prefix: setting(
    'AMI_EDITS_PREFIX',
    "Key prefix in S3_BUCKET of the append-only edit store (edits/…, storm-releases/…); empty = bucket root, else ends in '/'",
    '',
    parseKeyPrefix,
  ),
} as const satisfies SettingsSpec;

export type EditSettings = SettingsOf<typeof editSettings>;

export function loadEditSettings(env: Env = process.env): EditSettings {
  return readSettings(editSettings, env);
}

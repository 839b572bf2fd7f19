/**
 * Settings of the restatement relay. The topic is the platform's `AMI_TOPIC_RESTATEMENTS`
 * (@ami/shared/config topicSettings); the view files are read through the catalog's object cache.
 */
import { readSettings, setting, type Env, type SettingsOf, type SettingsSpec } from '@ami/shared/config';
import { parse } from '@ami/shared/config';
import { parseRedisPrefix } from '../archiver/config.ts';

export const restatementSettings = {
  cursorKeyPrefix: setting(
    'AMI_RESTATEMENT_CURSOR_PREFIX',
    'Prefix of the Redis key holding the last catalog snapshot notified on the restatement topic (`<prefix>:{restatements}:cursor`)',
    'batch',
    parseRedisPrefix,
  ),
  maxSnapshotsPerRun: setting(
    'AMI_RESTATEMENT_MAX_SNAPSHOTS_PER_RUN',
    'Snapshots one relay run notifies at most (the oldest first; the next run continues)',
    '100',
    parse.int(1, 100_000),
  ),
} as const satisfies SettingsSpec;

export type RestatementSettings = SettingsOf<typeof restatementSettings>;

export function loadRestatementSettings(env: Env = process.env): RestatementSettings {
  return readSettings(restatementSettings, env);
}

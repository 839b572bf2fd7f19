/**
 * Settings of the speed layer's alert engine (storage, clearing and scheduling). The rule
 * parameters themselves (thresholds, windows) are AMI_ALERT_* in @ami/shared/domain alert-rules.ts.
 */
import {
  parse,
  readSettings,
  setting,
  type Env,
  type SettingsOf,
  type SettingsSpec,
} from '@ami/shared/config';

const PREFIX_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;

/** Throws unless `prefix` is a valid alert key prefix (letters, digits, `._-`, at most 32). */
export function assertAlertKeyPrefix(prefix: string): string {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new RangeError(`alert key prefix must match ${PREFIX_PATTERN.source}: ${JSON.stringify(prefix)}`);
  }
  return prefix;
}

export const alertEngineSettings = {
  keyPrefix: setting(
    'AMI_ALERT_KEY_PREFIX',
    'Prefix of the alert Redis keys (inside the hash tag {prefix}, so all alert keys share one cluster slot)',
    'al',
    (raw) => assertAlertKeyPrefix(raw),
  ),
  historyMaxLen: setting(
    'AMI_ALERT_HISTORY_MAXLEN',
    'Approximate cap (XADD MAXLEN ~) of the alert history stream (one entry per open or clear)',
    '100000',
    parse.int(100, 100_000_000),
  ),
  eventHoldS: setting(
    'AMI_ALERT_EVENT_HOLD_S',
    'EVENT alerts without a clearing event (tamper, reverse energy, phase/neutral loss) clear this long (event time) after they opened; 0 = they stay open',
    '86400',
    parse.int(0, 365 * 86_400),
  ),
  outageClearRestoredPct: setting(
    'AMI_ALERT_OUTAGE_CLEAR_RESTORED_PCT',
    'TRANSFORMER_OUTAGE clears when at least this % of the meters that sent a last gasp in the outage have sent a restore',
    '100',
    parse.number(1, 100),
  ),
  replayHorizonS: setting(
    'AMI_ALERT_REPLAY_HORIZON_S',
    'How long a cleared alert is remembered so that a replayed event or window cannot reopen it (seconds)',
    String(8 * 86_400),
    parse.int(60, 90 * 86_400),
  ),
  maxCatchUpWindows: setting(
    'AMI_ALERT_MAX_CATCHUP_WINDOWS',
    'At most this many closed 15-minute windows are evaluated behind the watermark; older unevaluated ones are skipped (logged)',
    '96',
    parse.int(1, 7 * 100),
  ),
  lockTtlS: setting(
    'AMI_ALERT_LOCK_TTL_S',
    'Lease of the window-evaluation and outbox locks: another instance takes over after a holder died (seconds)',
    '60',
    parse.int(1, 3_600),
  ),
  instanceTimeoutS: setting(
    'AMI_ALERT_INSTANCE_TIMEOUT_S',
    'An instance whose watermark report is older than this (processing time) no longer holds the shared alert watermark back (seconds)',
    '120',
    parse.int(1, 86_400),
  ),
  outboxBatch: setting(
    'AMI_ALERT_OUTBOX_BATCH',
    'Alert transitions produced to Kafka per send when the outbox is drained',
    '500',
    parse.int(1, 10_000),
  ),
} as const satisfies SettingsSpec;

export type AlertEngineSettings = SettingsOf<typeof alertEngineSettings>;

export function loadAlertEngineSettings(env: Env = process.env): AlertEngineSettings {
  return readSettings(alertEngineSettings, env);
}

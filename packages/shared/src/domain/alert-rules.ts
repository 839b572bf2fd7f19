/**
 * Parameters of the speed layer's alert rules (SPEC 4; defaults are the seed's rules), each an
 * environment variable read with the shared settings helpers.
 */
import {
  ConfigError,
  parse,
  readSettings,
  setting,
  type Env,
  type SettingsSpec,
} from '../config/settings.ts';

export const alertRuleSettings = {
  lowReceiptRatePct: setting(
    'AMI_ALERT_LOW_RECEIPT_RATE_PCT',
    "LOW_RECEIPT_RATE when fewer than this % of a transformer's active meters reported in a 15-minute window",
    '80',
    parse.number(0, 100),
  ),
  lowVoltageV: setting(
    'AMI_ALERT_LOW_VOLTAGE_V',
    "LOW_VOLTAGE when the minimum voltage of a transformer's window is below this (V)",
    '207',
    parse.number(0, 100_000),
  ),
  highVoltageV: setting(
    'AMI_ALERT_HIGH_VOLTAGE_V',
    "HIGH_VOLTAGE when the maximum voltage of a transformer's window is above this (V)",
    '253',
    parse.number(0, 100_000),
  ),
  outageMinMeters: setting(
    'AMI_ALERT_OUTAGE_MIN_METERS',
    'TRANSFORMER_OUTAGE when at least this many meters of a transformer sent a last gasp within the window…',
    '3',
    parse.int(1, 1_000_000),
  ),
  outageMinSharePct: setting(
    'AMI_ALERT_OUTAGE_MIN_SHARE_PCT',
    "…or at least this % of the transformer's active meters did",
    '50',
    parse.number(0, 100),
  ),
  outageWindowS: setting(
    'AMI_ALERT_OUTAGE_WINDOW_S',
    'Window (seconds, event time) within which last gasps count towards one outage',
    '60',
    parse.int(1, 86_400),
  ),
  commLossIntervals: setting(
    'AMI_ALERT_COMM_LOSS_INTERVALS',
    'METER_COMM_LOSS when a meter misses at least this many consecutive intervals while its transformer reports',
    '4',
    parse.int(1, 96 * 31),
  ),
} as const satisfies SettingsSpec;

export interface AlertRuleParams {
  /** LOW_RECEIPT_RATE threshold: receipt rate (0–100 %) strictly below this raises the alert. */
  readonly lowReceiptRatePct: number;
  /** LOW_VOLTAGE: window minimum strictly below this (V). */
  readonly lowVoltageV: number;
  /** HIGH_VOLTAGE: window maximum strictly above this (V). */
  readonly highVoltageV: number;
  /** TRANSFORMER_OUTAGE: at least this many distinct meters with a last gasp in the window … */
  readonly outageMinMeters: number;
  /** … or at least this share (0–100 %) of the transformer's active meters. */
  readonly outageMinSharePct: number;
  /** Last gasps within this many milliseconds of each other count together. */
  readonly outageWindowMs: number;
  /** METER_COMM_LOSS: at least this many consecutive missed intervals. */
  readonly commLossIntervals: number;
}

export const DEFAULT_ALERT_RULES: AlertRuleParams = {
  lowReceiptRatePct: 80,
  lowVoltageV: 207,
  highVoltageV: 253,
  outageMinMeters: 3,
  outageMinSharePct: 50,
  outageWindowMs: 60_000,
  commLossIntervals: 4,
};

/** Reads the alert rule parameters; throws one ConfigError naming every bad variable. */
export function loadAlertRules(env: Env = process.env): AlertRuleParams {
  const s = readSettings(alertRuleSettings, env);
  if (!(s.lowVoltageV < s.highVoltageV)) {
    throw new ConfigError([
      {
        env: alertRuleSettings.lowVoltageV.env,
        value: String(s.lowVoltageV),
        problem: `must be below ${alertRuleSettings.highVoltageV.env} (${s.highVoltageV})`,
      },
    ]);
  }
  return {
    lowReceiptRatePct: s.lowReceiptRatePct,
    lowVoltageV: s.lowVoltageV,
    highVoltageV: s.highVoltageV,
    outageMinMeters: s.outageMinMeters,
    outageMinSharePct: s.outageMinSharePct,
    outageWindowMs: s.outageWindowS * 1000,
    commLossIntervals: s.commLossIntervals,
  };
}

/** Whether `ratePct` (0–100) breaks the receipt-rate rule. */
export function isLowReceiptRate(ratePct: number, rules: AlertRuleParams): boolean {
  return ratePct < rules.lowReceiptRatePct;
}

/** Whether `lastGaspMeters` of `activeMeters` meters satisfy the outage rule. */
export function isTransformerOutage(
  lastGaspMeters: number,
  activeMeters: number,
  rules: AlertRuleParams,
): boolean {
  if (lastGaspMeters <= 0) return false;
  if (lastGaspMeters >= rules.outageMinMeters) return true;
  return activeMeters > 0 && lastGaspMeters * 100 >= rules.outageMinSharePct * activeMeters;
}

/** Whether a window's minimum voltage breaks the LOW_VOLTAGE rule. */
export function isLowVoltage(minVoltageV: number, rules: AlertRuleParams): boolean {
  return minVoltageV < rules.lowVoltageV;
}

/** Whether a window's maximum voltage breaks the HIGH_VOLTAGE rule. */
export function isHighVoltage(maxVoltageV: number, rules: AlertRuleParams): boolean {
  return maxVoltageV > rules.highVoltageV;
}

/** Whether `consecutiveMissed` intervals in a row break the METER_COMM_LOSS rule. */
export function isCommLoss(consecutiveMissed: number, rules: AlertRuleParams): boolean {
  return consecutiveMissed >= rules.commLossIntervals;
}

/**
 * Hard limits of message validation, with defaults and environment settings. These are physical
 * sanity bounds that no real read can break; soft, per-segment plausibility limits and spike
 * detection are VEE rules of the batch layer (they flag and estimate, they never reject).
 */
import {
  ConfigError,
  parse,
  readSettings,
  setting,
  type Env,
  type SettingsSpec,
} from '../config/settings.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from './message.ts';

export interface ReadLimits {
  /** Largest |consumption|, delivered or received energy of one INTERVAL read, in Wh. */
  readonly maxIntervalWh: number;
  /** Largest register total of a DAILY read, in Wh. */
  readonly maxRegisterWh: number;
  /** Plausible band of voltage_v, inclusive (V). */
  readonly minVoltageV: number;
  readonly maxVoltageV: number;
  /** Largest |consumptionWh − (deliveredWh − receivedWh)| accepted. */
  readonly netToleranceWh: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = {
  // 10 000 kWh in 15 minutes = 40 MW: above any single metered service point on a distribution grid.
  maxIntervalWh: 10_000_000,
  // 10^9 kWh: above any register (typical registers roll over at 10^6–10^8 kWh).
  maxRegisterWh: 1_000_000_000_000,
  // A 230/400 V grid: 0 V to 500 V covers every phase and line voltage a low-voltage meter reports.
  minVoltageV: 0,
  maxVoltageV: 500,
  // Rounding delivered, received and consumption to Wh independently can differ by at most 1 Wh.
  netToleranceWh: 1,
};

export const DEFAULT_MAX_FUTURE_SKEW_MS = 300_000;
/** 2000-01-01T00:00:00Z: no AMI read is older; also keeps every instant inside the time module's range. */
export const DEFAULT_MIN_PLAUSIBLE_INSTANT_MS = Date.UTC(2000, 0, 1);

/** Options shared by read and event validation (all optional in the validation contexts). */
export interface MessageLimits {
  readonly maxMessageBytes: number;
  readonly maxFutureSkewMs: number;
  readonly minPlausibleInstantMs: number;
}

export interface ValidationConfig extends MessageLimits {
  readonly limits: ReadLimits;
}

const parseUtcDate = (raw: string): number => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw.trim());
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== raw.trim()) {
    throw new Error('must be a date YYYY-MM-DD');
  }
  return ms;
};

export const validationSettings = {
  maxMessageBytes: setting(
    'AMI_MAX_MESSAGE_BYTES',
    'Largest read or event message accepted (bytes); larger ones are rejected as MESSAGE_TOO_LARGE',
    String(DEFAULT_MAX_MESSAGE_BYTES),
    parse.int(256, 16 * 1024 * 1024),
  ),
  maxFutureSkewS: setting(
    'AMI_MAX_FUTURE_SKEW_S',
    'Clock skew allowed for interval_start, read_ts and event_ts beyond now (seconds); later is FUTURE_TIMESTAMP',
    String(DEFAULT_MAX_FUTURE_SKEW_MS / 1000),
    parse.int(0, 86_400),
  ),
  minPlausibleDate: setting(
    'AMI_MIN_PLAUSIBLE_DATE',
    'Instants before this UTC date (YYYY-MM-DD) are OUT_OF_RANGE',
    '2000-01-01',
    parseUtcDate,
  ),
  maxIntervalKwh: setting(
    'AMI_READ_MAX_INTERVAL_KWH',
    'Hard cap of |energy| in one 15-minute INTERVAL read (kWh); above is OUT_OF_RANGE',
    String(DEFAULT_READ_LIMITS.maxIntervalWh / 1000),
    parse.number(0.001, 1e9),
  ),
  maxRegisterKwh: setting(
    'AMI_READ_MAX_REGISTER_KWH',
    'Hard cap of a DAILY register total (kWh); above is OUT_OF_RANGE',
    String(DEFAULT_READ_LIMITS.maxRegisterWh / 1000),
    parse.number(0.001, 1e12),
  ),
  minVoltageV: setting(
    'AMI_READ_MIN_VOLTAGE_V',
    'Lowest plausible voltage_v (V); below is OUT_OF_RANGE',
    String(DEFAULT_READ_LIMITS.minVoltageV),
    parse.number(0, 1e6),
  ),
  maxVoltageV: setting(
    'AMI_READ_MAX_VOLTAGE_V',
    'Highest plausible voltage_v (V); above is OUT_OF_RANGE',
    String(DEFAULT_READ_LIMITS.maxVoltageV),
    parse.number(0, 1e6),
  ),
  netToleranceWh: setting(
    'AMI_READ_NET_TOLERANCE_WH',
    'Largest |consumption − (delivered − received)| accepted, in integer Wh; above is NET_MISMATCH',
    String(DEFAULT_READ_LIMITS.netToleranceWh),
    parse.int(0, 1_000_000),
  ),
} as const satisfies SettingsSpec;

/** Reads the validation limits; throws one ConfigError naming every bad variable. */
export function loadValidationConfig(env: Env = process.env): ValidationConfig {
  const s = readSettings(validationSettings, env);
  if (!(s.minVoltageV < s.maxVoltageV)) {
    throw new ConfigError([
      {
        env: validationSettings.minVoltageV.env,
        value: String(s.minVoltageV),
        problem: `must be below ${validationSettings.maxVoltageV.env} (${s.maxVoltageV})`,
      },
    ]);
  }
  return {
    maxMessageBytes: s.maxMessageBytes,
    maxFutureSkewMs: s.maxFutureSkewS * 1000,
    minPlausibleInstantMs: s.minPlausibleDate,
    limits: {
      maxIntervalWh: Math.round(s.maxIntervalKwh * 1000),
      maxRegisterWh: Math.round(s.maxRegisterKwh * 1000),
      minVoltageV: s.minVoltageV,
      maxVoltageV: s.maxVoltageV,
      netToleranceWh: s.netToleranceWh,
    },
  };
}

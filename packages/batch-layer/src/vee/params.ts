/**
 * VEE parameters (SPEC 5): the settings group `veeSettings` (environment variables AMI_VEE_*, each
 * with a documented default) and `loadVeeParams(env)`, which returns the typed, unit-converted
 * parameters every rule takes. DEFAULT_VEE_PARAMS = loadVeeParams({}).
 */
import { ConfigError, parse, readSettings, setting, type Env, type SettingsSpec } from '@ami/shared/config';
import { jsonFileParser, type Segment } from '@ami/shared/domain';
import {
  DEFAULT_LOAD_SHAPES,
  LoadShapesSpecSchema,
  buildLoadShapes,
  type LoadShapes,
} from './load-shapes.ts';

/** Rules that can be switched off with AMI_VEE_DISABLED_RULES (unknown-meter rejection cannot). */
export const VEE_RULES = [
  'alignment',
  'future',
  'range',
  'net',
  'spike',
  'stuck_at_zero',
  'sum_check',
  'outage_fill',
  'linear',
  'like_day',
  'load_shape',
  'register_scaling',
  'storm',
] as const;
export type VeeRule = (typeof VEE_RULES)[number];

export interface VeeParams {
  /** Rules switched on (all by default). */
  readonly enabled: Readonly<Record<VeeRule, boolean>>;
  /** Range: largest Wh per interval per segment; also the largest export of a prosumer. */
  readonly maxIntervalWh: Readonly<Record<Segment, number>>;
  /** Range: most negative Wh accepted on a non-prosumer (as a positive number). */
  readonly negativeToleranceWh: number;
  /** Net: largest |wh − (delivered − received)|. */
  readonly netToleranceWh: number;
  /** Spike: a value above max(floor, factor × level) is a spike; level = percentile of history. */
  readonly spikeFactor: number;
  readonly spikeFloorWh: number;
  readonly spikePercentile: number;
  /** Spike and stuck-at-zero: days of history looked at, and the fewest actual values needed. */
  readonly historyDays: number;
  readonly minHistoryIntervals: number;
  /** Stuck-at-zero: shortest flagged run, and the largest share of zeros in history that still counts as "normally consumes". */
  readonly stuckMinRun: number;
  readonly stuckMaxHistoryZeroShare: number;
  /** Sum check: |Σ intervals − register delta| allowed = max(toleranceWh, share × |delta|). */
  readonly sumToleranceWh: number;
  readonly sumToleranceShare: number;
  /** Linear interpolation: longest gap (intervals). */
  readonly linearMaxGap: number;
  /** Like-day: days averaged, fewest needed, look-back (calendar days). */
  readonly likeDayCount: number;
  readonly likeDayMin: number;
  readonly likeDayLookbackDays: number;
  /** Load shape: fewest actual intervals of the day to take the meter's level from the day itself. */
  readonly loadShapeMinActual: number;
  readonly loadShapes: LoadShapes;
  /** Storm mode: share of missing meters (≥) and fewest meters of a feeder/region. */
  readonly stormMissingShare: number;
  readonly stormMinMeters: number;
  /** Billing gate: hold when (estimated + missing) / intervals is above this share. */
  readonly billingHoldShare: number;
}

const kwhPerInterval = (env: string, seg: string, def: number) =>
  setting(
    env,
    `VEE range rule: largest energy of one 15-minute interval of a ${seg} meter (kWh); also a ${seg} prosumer's largest export; above is RANGE_HIGH`,
    String(def),
    parse.number(0.001, 1e7),
  );

const share = (raw: string): number => parse.number(0, 1)(raw);

const ruleList = (raw: string): VeeRule[] => {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const n of names) {
    if (!(VEE_RULES as readonly string[]).includes(n)) {
      throw new Error(`unknown rule "${n}" (rules: ${VEE_RULES.join(', ')})`);
    }
  }
  return names as VeeRule[];
};

export const veeSettings = {
  disabledRules: setting(
    'AMI_VEE_DISABLED_RULES',
    `Comma-separated VEE rules to switch off (${VEE_RULES.join(', ')}); empty = all on`,
    '',
    ruleList,
  ),
  maxKwhResidential: kwhPerInterval('AMI_VEE_MAX_INTERVAL_KWH_RESIDENTIAL', 'residential', 10),
  maxKwhCommercial: kwhPerInterval('AMI_VEE_MAX_INTERVAL_KWH_COMMERCIAL', 'commercial', 150),
  maxKwhIndustrial: kwhPerInterval('AMI_VEE_MAX_INTERVAL_KWH_INDUSTRIAL', 'industrial', 2500),
  negativeToleranceWh: setting(
    'AMI_VEE_NEGATIVE_TOLERANCE_WH',
    'VEE range rule: most negative interval energy accepted on a non-prosumer meter (Wh, as a positive number); beyond is RANGE_NEGATIVE',
    '5',
    parse.int(0, 1_000_000),
  ),
  netToleranceWh: setting(
    'AMI_VEE_NET_TOLERANCE_WH',
    'VEE net rule: largest |consumption − (delivered − received)| of an interval (Wh); above is NET_MISMATCH',
    '1',
    parse.int(0, 1_000_000),
  ),
  spikeFactor: setting(
    'AMI_VEE_SPIKE_FACTOR',
    "VEE spike rule: an interval above this factor × the meter's recent level (and above the floor) is a SPIKE",
    '10',
    parse.number(1, 1e6),
  ),
  spikeFloorWh: setting(
    'AMI_VEE_SPIKE_FLOOR_WH',
    'VEE spike rule: intervals at or below this energy (Wh) are never spikes',
    '2000',
    parse.int(0, 100_000_000),
  ),
  spikePercentile: setting(
    'AMI_VEE_SPIKE_PERCENTILE',
    "VEE spike rule: the meter's recent level is this percentile of its actual intervals in the history window (0–1)",
    '0.95',
    parse.number(0.5, 1),
  ),
  historyDays: setting(
    'AMI_VEE_HISTORY_DAYS',
    'VEE spike and stuck-at-zero rules: days of the meter’s validated history they look at',
    '7',
    parse.int(1, 366),
  ),
  minHistoryIntervals: setting(
    'AMI_VEE_MIN_HISTORY_INTERVALS',
    'VEE spike and stuck-at-zero rules: fewest actual history intervals needed; with fewer the rules do not judge',
    '96',
    parse.int(1, 1_000_000),
  ),
  stuckMinRun: setting(
    'AMI_VEE_STUCK_MIN_RUN',
    'VEE stuck-at-zero rule: shortest run of consecutive zero intervals flagged STUCK_AT_ZERO',
    '8',
    parse.int(2, 100),
  ),
  stuckMaxHistoryZeroShare: setting(
    'AMI_VEE_STUCK_MAX_HISTORY_ZERO_SHARE',
    'VEE stuck-at-zero rule: the meter "normally consumes" when at most this share of its history intervals is zero (0–1)',
    '0.05',
    share,
  ),
  sumToleranceWh: setting(
    'AMI_VEE_SUM_TOLERANCE_WH',
    'VEE sum check: allowed |Σ intervals − DAILY register delta| (Wh), or the share below if larger',
    '50',
    parse.int(0, 1_000_000_000),
  ),
  sumToleranceShare: setting(
    'AMI_VEE_SUM_TOLERANCE_SHARE',
    'VEE sum check: allowed difference as a share of the register delta (0–1)',
    '0.005',
    share,
  ),
  linearMaxGap: setting(
    'AMI_VEE_LINEAR_MAX_GAP',
    'VEE estimation: longest gap (intervals) filled by linear interpolation between actual neighbours',
    '4',
    parse.int(0, 100),
  ),
  likeDayCount: setting(
    'AMI_VEE_LIKE_DAY_COUNT',
    'VEE estimation: like-day method averages the same slot of this many nearest like days',
    '3',
    parse.int(1, 52),
  ),
  likeDayMin: setting(
    'AMI_VEE_LIKE_DAY_MIN',
    'VEE estimation: like-day method needs at least this many like days with an actual value at the slot',
    '3',
    parse.int(1, 52),
  ),
  likeDayLookbackDays: setting(
    'AMI_VEE_LIKE_DAY_LOOKBACK_DAYS',
    'VEE estimation: like days are searched this many calendar days back',
    '21',
    parse.int(1, 366),
  ),
  loadShapeMinActual: setting(
    'AMI_VEE_LOAD_SHAPE_MIN_ACTUAL',
    "VEE estimation: load-shape method takes the meter's level from the day itself when it has at least this many actual intervals (else from history, else from the register delta)",
    '16',
    parse.int(1, 100),
  ),
  loadShapesFile: setting(
    'AMI_VEE_LOAD_SHAPES_FILE',
    'JSON file with the class load shapes ({residential|commercial|industrial: {weekday, weekend}}, 24 or 96 factors each); empty = built-in profiles',
    '',
    jsonFileParser(LoadShapesSpecSchema, () => DEFAULT_LOAD_SHAPES, buildLoadShapes),
  ),
  stormMissingShare: setting(
    'AMI_VEE_STORM_MISSING_SHARE',
    'VEE storm mode: estimation is suspended in a feeder/region when at least this share of its meters miss the day (0–1)',
    '0.3',
    share,
  ),
  stormMinMeters: setting(
    'AMI_VEE_STORM_MIN_METERS',
    'VEE storm mode: only feeders/regions with at least this many meters are judged',
    '100',
    parse.int(1, 100_000_000),
  ),
  billingHoldShare: setting(
    'AMI_VEE_BILLING_HOLD_SHARE',
    "Billing quality gate: a service point's period is put on hold when more than this share of its intervals is estimated or missing (0–1)",
    '0.1',
    share,
  ),
} as const satisfies SettingsSpec;

/** Reads the VEE parameters; throws one ConfigError naming every bad variable. */
export function loadVeeParams(env: Env = process.env): VeeParams {
  const s = readSettings(veeSettings, env);
  if (s.likeDayMin > s.likeDayCount) {
    throw new ConfigError([
      {
        env: veeSettings.likeDayMin.env,
        value: String(s.likeDayMin),
        problem: `must not exceed ${veeSettings.likeDayCount.env} (${s.likeDayCount})`,
      },
    ]);
  }
  const disabled = new Set<string>(s.disabledRules);
  const enabled = Object.fromEntries(VEE_RULES.map((r) => [r, !disabled.has(r)])) as Record<VeeRule, boolean>;
  return {
    enabled,
    maxIntervalWh: {
      residential: Math.round(s.maxKwhResidential * 1000),
      commercial: Math.round(s.maxKwhCommercial * 1000),
      industrial: Math.round(s.maxKwhIndustrial * 1000),
    },
    negativeToleranceWh: s.negativeToleranceWh,
    netToleranceWh: s.netToleranceWh,
    spikeFactor: s.spikeFactor,
    spikeFloorWh: s.spikeFloorWh,
    spikePercentile: s.spikePercentile,
    historyDays: s.historyDays,
    minHistoryIntervals: s.minHistoryIntervals,
    stuckMinRun: s.stuckMinRun,
    stuckMaxHistoryZeroShare: s.stuckMaxHistoryZeroShare,
    sumToleranceWh: s.sumToleranceWh,
    sumToleranceShare: s.sumToleranceShare,
    linearMaxGap: s.linearMaxGap,
    likeDayCount: s.likeDayCount,
    likeDayMin: s.likeDayMin,
    likeDayLookbackDays: s.likeDayLookbackDays,
    loadShapeMinActual: s.loadShapeMinActual,
    loadShapes: s.loadShapesFile,
    stormMissingShare: s.stormMissingShare,
    stormMinMeters: s.stormMinMeters,
    billingHoldShare: s.billingHoldShare,
  };
}

export const DEFAULT_VEE_PARAMS: VeeParams = loadVeeParams({});

/** `base` with some fields replaced (tests and callers that tune one rule). */
export function withVeeParams(base: VeeParams, patch: Partial<VeeParams>): VeeParams {
  return { ...base, ...patch };
}

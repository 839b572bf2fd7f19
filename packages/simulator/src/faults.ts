/**
 * The fault kinds of SPEC 8, their flags and default rates (`--faults all`), and how each affects
 * the truth. Rates are probabilities per unit (see `unit`); each kind is off (rate 0) unless asked for.
 */

export const FAULT_KINDS = [
  'duplicate',
  'correction',
  'gap',
  'late',
  'out_of_order',
  'spike',
  'malformed_json',
  'schema_violation',
  'out_of_range',
  'future_timestamp',
  'unknown_meter',
  'stuck_at_zero',
  'tamper',
  'reverse_energy',
  'outage',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Kinds decided per interval read; at most one of them hits a given read. */
export const READ_FAULTS = [
  'duplicate',
  'correction',
  'gap',
  'late',
  'out_of_order',
  'spike',
  'malformed_json',
  'schema_violation',
  'out_of_range',
  'future_timestamp',
  'unknown_meter',
] as const satisfies readonly FaultKind[];
export type ReadFault = (typeof READ_FAULTS)[number];

export interface FaultDef {
  readonly flag: string;
  readonly unit: string;
  readonly defaultRate: number;
  /** Whether the fault adds a message that validation rejects, and with which reason. */
  readonly invalid: boolean;
  readonly effect: string;
}

export const FAULTS: Readonly<Record<FaultKind, FaultDef>> = {
  duplicate: {
    flag: '--duplicates',
    unit: 'interval read',
    defaultRate: 0.005,
    invalid: false,
    effect: 'the identical message is produced twice in a row; truth unchanged',
  },
  correction: {
    flag: '--corrections',
    unit: 'interval read',
    defaultRate: 0.002,
    invalid: false,
    effect:
      'a wrong (valid) value first, then a re-read with the true value and a read_ts 1 h–2 days later; truth = the true value',
  },
  gap: {
    flag: '--gaps',
    unit: 'interval read (starts a run of 1–8 missing intervals)',
    defaultRate: 0.0005,
    invalid: false,
    effect: 'no read for the run; truth keeps the true values; registers keep counting',
  },
  late: {
    flag: '--late',
    unit: 'interval read',
    defaultRate: 0.002,
    invalid: false,
    effect: 'read_ts (and produce position) 10 min–3 days after the normal read; truth unchanged',
  },
  out_of_order: {
    flag: '--out-of-order',
    unit: 'interval read',
    defaultRate: 0.002,
    invalid: false,
    effect: "produced right after the meter's next interval read, with its original read_ts; truth unchanged",
  },
  spike: {
    flag: '--spikes',
    unit: 'interval read',
    defaultRate: 0.0005,
    invalid: false,
    effect:
      'reported delivered energy 20–80 × max(true delivered, received, 200 Wh) (valid message); truth = the true value',
  },
  malformed_json: {
    flag: '--malformed',
    unit: 'interval read',
    defaultRate: 0.0005,
    invalid: true,
    effect: 'an EXTRA truncated copy of the read (MALFORMED_JSON); truth unchanged',
  },
  schema_violation: {
    flag: '--schema-violations',
    unit: 'interval read',
    defaultRate: 0.0005,
    invalid: true,
    effect:
      'an EXTRA copy with a missing/unknown field, wrong type or bad id (SCHEMA_VIOLATION), a timestamp without offset (BAD_TIMESTAMP), a misaligned start (MISALIGNED_INTERVAL) or a 30-minute length (BAD_INTERVAL_LENGTH); truth unchanged',
  },
  out_of_range: {
    flag: '--out-of-range',
    unit: 'interval read',
    defaultRate: 0.0005,
    invalid: true,
    effect:
      'an EXTRA copy with voltage 999.9 V, a negative delivered energy or 20 000 kWh (OUT_OF_RANGE); truth unchanged',
  },
  future_timestamp: {
    flag: '--future-timestamps',
    unit: 'interval read',
    defaultRate: 0.0002,
    invalid: true,
    effect:
      'an EXTRA copy whose interval is 2–30 days after its produce time (FUTURE_TIMESTAMP when validated at that time); truth unchanged',
  },
  unknown_meter: {
    flag: '--unknown-meters',
    unit: 'interval read',
    defaultRate: 0.0002,
    invalid: true,
    effect: 'an EXTRA read from a meter id not in the topology (UNKNOWN_METER); truth unchanged',
  },
  stuck_at_zero: {
    flag: '--stuck-at-zero',
    unit: 'meter-day',
    defaultRate: 0.005,
    invalid: false,
    effect:
      'the meter reports 0 for a run of 8–32 intervals while its registers keep counting; truth keeps the true values',
  },
  tamper: {
    flag: '--tamper',
    unit: 'meter-day',
    defaultRate: 0.005,
    invalid: false,
    effect: 'one tamper event (2048 cover open or 2049 magnetic); truth unchanged',
  },
  reverse_energy: {
    flag: '--reverse-energy',
    unit: 'non-prosumer meter-day',
    defaultRate: 0.005,
    invalid: false,
    effect: 'one REVERSE_ENERGY_FLOW event (1024) from a non-prosumer meter; truth unchanged',
  },
  outage: {
    flag: '--outages',
    unit: 'transformer-day',
    defaultRate: 0.02,
    invalid: false,
    effect:
      'every meter of the transformer sends a last gasp (3840) within 5 s of an interval start, no interval or DAILY reads for 1–8 intervals, then a restore (3843) within 30 s; truth = 0 Wh for those intervals',
  },
};

export type FaultRates = Readonly<Record<FaultKind, number>>;

/** Every fault off. */
export const NO_FAULTS: FaultRates = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<
  FaultKind,
  number
>;

/** Every fault at its default rate (`--faults all`). */
export const ALL_FAULTS: FaultRates = Object.fromEntries(
  FAULT_KINDS.map((k) => [k, FAULTS[k].defaultRate]),
) as Record<FaultKind, number>;

/** The fault table as Markdown (README, --help). */
export function faultTableMarkdown(): string {
  return [
    '| fault (truth `fault`) | flag | rate per | default rate | effect on messages and truth |',
    '|---|---|---|---|---|',
    ...FAULT_KINDS.map((k) => {
      const f = FAULTS[k];
      return `| \`${k}\` | \`${f.flag} R\` | ${f.unit} | ${f.defaultRate} | ${f.effect} |`;
    }),
  ].join('\n');
}

/**
 * The simulated fleet (SPEC 3.4 / 8): meters under transformers (10–30 each), transformers under
 * feeders (≈ 50 each), feeders under substations (4 each), substations in regions. Everything is a
 * pure function of (seed, meters), so the same arguments always give the same fleet.
 */
import type { TopologyRow } from '@ami/shared/contracts';
import type { Segment, Tariff } from '@ami/shared/domain';
import { DAY_MS, formatIsoUtc } from '@ami/shared/time';
import { STREAM, gaussian, sequence, uniform } from './random.ts';

export const REGIONS = ['REG-N', 'REG-S', 'REG-E', 'REG-W'] as const;
export const FEEDERS_PER_SUBSTATION = 4;

/** One meter with everything the signal model needs. */
export interface MeterSpec {
  readonly index: number;
  readonly meterId: string;
  readonly servicePointId: string;
  readonly customerId: string;
  readonly transformerIndex: number;
  readonly transformerId: string;
  readonly feederIndex: number;
  readonly feederId: string;
  readonly substationId: string;
  readonly region: string;
  readonly segment: Segment;
  readonly tariff: Tariff;
  readonly prosumer: boolean;
  /** Average demand (W) before shape, season and noise. */
  readonly baseW: number;
  /** Peak PV output (W); 0 for non-prosumers. */
  readonly pvPeakW: number;
  /** Register totals at the start of the simulation (Wh). */
  readonly deliveredRegisterStartWh: number;
  readonly receivedRegisterStartWh: number;
  /** Seconds after interval_end at which the head-end reads this meter (5–294). */
  readonly readDelayS: number;
  /** Position along the feeder, 0 (at the substation) … 1 (feeder end): scales the voltage sag. */
  readonly feederPosition: number;
  /** The meter's own voltage offset from nominal (V). */
  readonly voltageOffsetV: number;
}

export interface Transformer {
  readonly index: number;
  readonly transformerId: string;
  readonly feederIndex: number;
  /** Indexes of its meters, ascending. */
  readonly meters: readonly number[];
}

export interface Fleet {
  readonly meters: readonly MeterSpec[];
  readonly transformers: readonly Transformer[];
  readonly feederCount: number;
  /** valid_from of every topology row (UTC ISO). */
  readonly validFrom: string;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Upper bound of a meter's read delay (readDelayS is 5–294 s): every read of an interval is taken by its end + this. */
export const MAX_READ_DELAY_MS = 300_000;

export const meterIdOf = (i: number): string => `MTR-${pad(i + 1, 6)}`;

function pickSegment(u: number): Segment {
  if (u < 0.85) return 'residential';
  if (u < 0.97) return 'commercial';
  return 'industrial';
}

const TOU_SHARE: Readonly<Record<Segment, number>> = { residential: 0.3, commercial: 0.6, industrial: 0.9 };
const PROSUMER_SHARE: Readonly<Record<Segment, number>> = {
  residential: 0.15,
  commercial: 0.08,
  industrial: 0.03,
};
/** Median average demand per segment (W). */
const BASE_W: Readonly<Record<Segment, number>> = {
  residential: 650,
  commercial: 9_000,
  industrial: 120_000,
};
/** Median PV peak as a multiple of the base demand. */
const PV_RATIO: Readonly<Record<Segment, number>> = { residential: 7, commercial: 3, industrial: 1.2 };

/**
 * Builds the fleet of `meterCount` meters. `startMs` (the first simulated instant) only sets
 * valid_from, one year before it.
 */
export function buildFleet(seed: number, meterCount: number, startMs: number): Fleet {
  const txSize = sequence(seed, STREAM.topology);
  const meters: MeterSpec[] = [];
  const transformers: Transformer[] = [];
  let feederIndex = 0;
  let txInFeeder = 0;
  let feederSize = 45 + Math.floor(txSize() * 11);
  let i = 0;
  while (i < meterCount) {
    if (txInFeeder === feederSize) {
      feederIndex++;
      txInFeeder = 0;
      feederSize = 45 + Math.floor(txSize() * 11);
    }
    const txIndex = transformers.length;
    const size = Math.min(10 + Math.floor(txSize() * 21), meterCount - i);
    const transformerId = `TX-${pad(txIndex + 1, 5)}`;
    const feederId = `FDR-${pad(feederIndex + 1, 3)}`;
    const substation = Math.floor(feederIndex / FEEDERS_PER_SUBSTATION);
    const substationId = `SUB-${pad(substation + 1, 2)}`;
    const region = REGIONS[substation % REGIONS.length] ?? 'REG-N';
    const feederPosition = (txInFeeder + 0.5) / feederSize;
    const txMeters: number[] = [];
    for (let k = 0; k < size; k++, i++) {
      const u = (b: number): number => uniform(seed, STREAM.topology, i, b);
      const segment = pickSegment(u(1));
      const baseW = Math.round(BASE_W[segment] * Math.exp(0.45 * gaussian(seed, STREAM.topology, i, 2)));
      const prosumer = u(3) < PROSUMER_SHARE[segment];
      const pvPeakW = prosumer ? Math.round(baseW * PV_RATIO[segment] * (0.6 + 0.8 * u(4))) : 0;
      meters.push({
        index: i,
        meterId: meterIdOf(i),
        servicePointId: `SP-${pad(i + 1, 6)}`,
        customerId: `CUST-${pad(i + 1, 6)}`,
        transformerIndex: txIndex,
        transformerId,
        feederIndex,
        feederId,
        substationId,
        region,
        segment,
        tariff: u(5) < TOU_SHARE[segment] ? 'tou' : 'flat',
        prosumer,
        baseW,
        pvPeakW,
        deliveredRegisterStartWh: Math.floor(baseW * 24 * 365 * (1 + 6 * u(6))),
        receivedRegisterStartWh: prosumer ? Math.floor(pvPeakW * 900 * (1 + 4 * u(7))) : 0,
        readDelayS: 5 + Math.floor(u(8) * 290),
        feederPosition,
        voltageOffsetV: 3 * gaussian(seed, STREAM.topology, i, 9),
      });
      txMeters.push(i);
    }
    transformers.push({ index: txIndex, transformerId, feederIndex, meters: txMeters });
    txInFeeder++;
  }
  return {
    meters,
    transformers,
    feederCount: meterCount === 0 ? 0 : feederIndex + 1,
    validFrom: formatIsoUtc(startMs - 365 * DAY_MS),
  };
}

/** The topology row of a meter (SPEC 3.4); every simulated meter stays valid (valid_to null). */
export function topologyRow(m: MeterSpec, validFrom: string): TopologyRow {
  return {
    meter_id: m.meterId,
    service_point_id: m.servicePointId,
    customer_id: m.customerId,
    transformer_id: m.transformerId,
    feeder_id: m.feederId,
    substation_id: m.substationId,
    region: m.region,
    segment: m.segment,
    tariff: m.tariff,
    prosumer: m.prosumer,
    valid_from: validFrom,
    valid_to: null,
  };
}

/** The topology as JSONL (one row per line, fixed key order, trailing newline). */
/** The fleet's topology rows (what topologyJsonl writes, one row per meter). */
export function topologyRows(fleet: Fleet): TopologyRow[] {
  return fleet.meters.map((m) => topologyRow(m, fleet.validFrom));
}

export function topologyJsonl(fleet: Fleet): string {
  let out = '';
  for (const m of fleet.meters) out += JSON.stringify(topologyRow(m, fleet.validFrom)) + '\n';
  return out;
}

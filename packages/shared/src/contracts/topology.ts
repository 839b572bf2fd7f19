/**
 * Topology reference data (SPEC 3.4): one row per meter version, valid over [valid_from, valid_to)
 * (valid_to null = still valid). The index answers "which version of this meter was active at t",
 * which is what UNKNOWN_METER and the per-transformer meter counts need.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { SegmentSchema } from '../domain/segment.ts';
import { TariffSchema } from '../domain/tou.ts';
import { formatIsoUtc, parseIsoInstant } from '../time/index.ts';
import { IdSchema, InstantSchema } from './common.ts';
import { failure, type ValidationFailure } from './reasons.ts';
import { checkValue, type Checked } from './schema-errors.ts';

export const TopologyRowSchema = Type.Object(
  {
    meter_id: IdSchema,
    service_point_id: IdSchema,
    customer_id: IdSchema,
    transformer_id: IdSchema,
    feeder_id: IdSchema,
    substation_id: IdSchema,
    region: IdSchema,
    segment: SegmentSchema,
    tariff: TariffSchema,
    prosumer: Type.Boolean({ description: 'Has generation (can export energy)' }),
    valid_from: InstantSchema,
    valid_to: Type.Union([InstantSchema, Type.Null()], { description: 'Exclusive end; null = open-ended' }),
  },
  { additionalProperties: false },
);
export type TopologyRow = Static<typeof TopologyRowSchema>;

export const TopologyRowCheck = TypeCompiler.Compile(TopologyRowSchema);

/** Checks one topology row (schema, parseable instants, valid_from < valid_to). */
export function validateTopologyRow(value: unknown): Checked<TopologyRow> {
  const checked = checkValue(TopologyRowCheck, value);
  if (!checked.ok) return checked;
  const row = checked.value;
  const fromMs = parseIsoInstant(row.valid_from);
  if (Number.isNaN(fromMs))
    return failure('BAD_TIMESTAMP', 'valid_from is not a valid instant', '/valid_from');
  if (row.valid_to !== null) {
    const toMs = parseIsoInstant(row.valid_to);
    if (Number.isNaN(toMs)) return failure('BAD_TIMESTAMP', 'valid_to is not a valid instant', '/valid_to');
    if (!(fromMs < toMs)) return failure('OUT_OF_RANGE', 'valid_to is not after valid_from', '/valid_to');
  }
  return checked;
}

/** Meter lookups over a topology snapshot. */
export interface TopologyIndex {
  /** Number of distinct meters. */
  readonly size: number;
  /** Whether the meter appears in any version. */
  hasMeter(meterId: string): boolean;
  /** The version of the meter active at `atMs` (valid_from ≤ atMs < valid_to), or undefined. */
  meterAt(meterId: string, atMs: number): TopologyRow | undefined;
}

interface Version {
  readonly fromMs: number;
  readonly toMs: number;
  readonly row: TopologyRow;
}

/**
 * Builds the index from validated rows; throws an Error when a row's instants do not parse or two
 * versions of one meter overlap (the topology would be ambiguous).
 */
export function buildTopologyIndex(rows: Iterable<TopologyRow>): TopologyIndex {
  const byMeter = new Map<string, Version[]>();
  for (const row of rows) {
    const fromMs = parseIsoInstant(row.valid_from);
    const toMs = row.valid_to === null ? Infinity : parseIsoInstant(row.valid_to);
    if (Number.isNaN(fromMs) || Number.isNaN(toMs) || !(fromMs < toMs)) {
      throw new Error(`topology row of meter ${row.meter_id} has an invalid validity range`);
    }
    const versions = byMeter.get(row.meter_id);
    if (versions === undefined) byMeter.set(row.meter_id, [{ fromMs, toMs, row }]);
    else versions.push({ fromMs, toMs, row });
  }
  for (const [meterId, versions] of byMeter) {
    versions.sort((a, b) => a.fromMs - b.fromMs);
    for (let i = 1; i < versions.length; i++) {
      const prev = versions[i - 1];
      const cur = versions[i];
      if (prev !== undefined && cur !== undefined && cur.fromMs < prev.toMs) {
        throw new Error(`topology versions of meter ${meterId} overlap at ${formatIsoUtc(cur.fromMs)}`);
      }
    }
  }
  return {
    size: byMeter.size,
    hasMeter: (meterId) => byMeter.has(meterId),
    meterAt: (meterId, atMs) => {
      const versions = byMeter.get(meterId);
      if (versions === undefined) return undefined;
      for (const v of versions) if (v.fromMs <= atMs && atMs < v.toMs) return v.row;
      return undefined;
    },
  };
}

export type KnownMeterCheck = { readonly ok: true; readonly topology: TopologyRow } | ValidationFailure;

/** UNKNOWN_METER unless the meter has a topology version active at `atMs`. */
export function checkKnownMeterAt(meterId: string, atMs: number, index: TopologyIndex): KnownMeterCheck {
  const topology = index.meterAt(meterId, atMs);
  if (topology !== undefined) return { ok: true, topology };
  const detail = index.hasMeter(meterId)
    ? `meter ${meterId} has no topology version active at ${formatIsoUtc(atMs)}`
    : `meter ${meterId} is not in the topology`;
  return failure('UNKNOWN_METER', detail, '/meter_id');
}

/** UNKNOWN_METER unless the read's meter is in the topology at its interval_start. */
export function checkKnownMeter(
  read: { readonly meter_id: string; readonly intervalStartMs: number },
  index: TopologyIndex,
): KnownMeterCheck {
  return checkKnownMeterAt(read.meter_id, read.intervalStartMs, index);
}

/**
 * Transformer roster: which meters a transformer has at an instant, built once from the topology
 * rows (SPEC 3.4). The receipt-rate, outage-share and comm-loss rules count a transformer's
 * *active* meters (valid_from ≤ t < valid_to). Memory is proportional to the topology, not to the
 * stream.
 */
import type { TopologyRow } from '@ami/shared/contracts';
import { parseIsoInstant } from '@ami/shared/time';

interface MeterVersion {
  readonly meterId: string;
  readonly transformerId: string;
  readonly fromMs: number;
  readonly toMs: number;
}

export interface TransformerRoster {
  /** Every transformer that has at least one meter version, sorted. */
  readonly transformerIds: readonly string[];
  /** Meters of `transformerId` active at `atMs`, sorted by meter id. */
  activeMeters(transformerId: string, atMs: number): readonly string[];
  /** Transformer of the meter's version active at `atMs`, or undefined. */
  transformerOf(meterId: string, atMs: number): string | undefined;
}

/** Builds the roster; throws when a row's validity does not parse. */
export function buildTransformerRoster(rows: Iterable<TopologyRow>): TransformerRoster {
  const byTransformer = new Map<string, MeterVersion[]>();
  const byMeter = new Map<string, MeterVersion[]>();
  for (const row of rows) {
    const fromMs = parseIsoInstant(row.valid_from);
    const toMs = row.valid_to === null ? Infinity : parseIsoInstant(row.valid_to);
    if (Number.isNaN(fromMs) || Number.isNaN(toMs)) {
      throw new Error(`topology row of meter ${row.meter_id} has an invalid validity range`);
    }
    const v: MeterVersion = { meterId: row.meter_id, transformerId: row.transformer_id, fromMs, toMs };
    const t = byTransformer.get(v.transformerId);
    if (t === undefined) byTransformer.set(v.transformerId, [v]);
    else t.push(v);
    const m = byMeter.get(v.meterId);
    if (m === undefined) byMeter.set(v.meterId, [v]);
    else m.push(v);
  }
  for (const list of byTransformer.values()) {
    list.sort((a, b) => (a.meterId < b.meterId ? -1 : a.meterId > b.meterId ? 1 : a.fromMs - b.fromMs));
  }
  const transformerIds = [...byTransformer.keys()].sort();
  return {
    transformerIds,
    activeMeters(transformerId, atMs) {
      const out: string[] = [];
      for (const v of byTransformer.get(transformerId) ?? []) {
        if (v.fromMs <= atMs && atMs < v.toMs && out[out.length - 1] !== v.meterId) out.push(v.meterId);
      }
      return out;
    },
    transformerOf(meterId, atMs) {
      for (const v of byMeter.get(meterId) ?? [])
        if (v.fromMs <= atMs && atMs < v.toMs) return v.transformerId;
      return undefined;
    },
  };
}

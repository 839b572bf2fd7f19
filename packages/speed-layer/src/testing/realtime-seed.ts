/**
 * Test fixture: puts interval reads into a realtime view exactly as the speed layer does — each
 * message validated by the shared validator, turned into apply records (toApplyRead) and applied
 * per partition (its meter's, by the configured partitioner) by the real Lua script (applyChunk), with offsets after the partition's fence so a
 * second seeding of the same view is applied too. Used by the tests of every layer that reads the
 * realtime view (serving routes, reconciliation).
 */
import type { RedisClient } from '@ami/shared/clients';
import { validateRead } from '@ami/shared/contracts';
import { partitionOfMeter, type Partitioner } from '@ami/shared/partitioner';
import { formatIsoUtc, INTERVAL_MS } from '@ami/shared/time';
import { applyChunk } from '../realtime-view/apply.ts';
import { toApplyRead, type ApplyRead } from '../realtime-view/apply-args.ts';
import { fenceKey } from '../realtime-view/keys.ts';

/** Where a meter's read counts in the grid aggregates (its topology). */
export interface SeedAttribution {
  readonly transformerId: string;
  readonly feederId: string;
  readonly substationId: string;
  readonly region: string;
}

export interface SeedRead {
  /** The read message as the head-end would send it (JSON text). */
  readonly message: string;
  readonly attribution: SeedAttribution;
}

export interface SeedOptions {
  readonly keyPrefix: string;
  readonly partitions: number;
  /** AMI_KAFKA_PARTITIONER the view is read with (default murmur2): a meter goes to its partition. */
  readonly partitioner?: Partitioner;
  readonly timeZone: string;
  /** "Now" of the validator (reads must not be in its future). */
  readonly nowMs: number;
  /** Event time reported to each partition's fence; default: the partition's latest interval start. */
  readonly maxEventMs?: number;
  /** Reads per applyChunk call (default 2,000). */
  readonly chunk?: number;
}

/** A valid INTERVAL read message: consumption = delivered = `wh`, received 0, read 1 min after its end. */
export function intervalReadMessage(r: {
  readonly meterId: string;
  readonly startMs: number;
  readonly wh: number;
  readonly transformerId: string;
  readonly feederId: string;
  readonly servicePointId?: string;
  readonly customerId?: string;
  readonly voltage?: number;
}): string {
  return JSON.stringify({
    meter_id: r.meterId,
    service_point_id: r.servicePointId ?? `SP-${r.meterId}`,
    customer_id: r.customerId ?? `C-${r.meterId}`,
    transformer_id: r.transformerId,
    feeder_id: r.feederId,
    read_type: 'INTERVAL',
    interval_start: formatIsoUtc(r.startMs),
    interval_end: formatIsoUtc(r.startMs + INTERVAL_MS),
    consumption_kwh: r.wh / 1000,
    delivered_kwh: r.wh / 1000,
    received_kwh: 0,
    voltage_v: r.voltage ?? 230,
    power_quality_code: 0,
    estimated_flag: false,
    read_ts: formatIsoUtc(r.startMs + INTERVAL_MS + 60_000),
  });
}

export async function applyToRealtimeView(
  redis: RedisClient,
  opts: SeedOptions,
  reads: Iterable<SeedRead>,
): Promise<void> {
  const byPartition = new Map<number, ApplyRead[]>();
  const latestStart = new Map<number, number>();
  for (const r of reads) {
    const v = validateRead(r.message, { nowMs: opts.nowMs, timeZone: opts.timeZone });
    if (!v.ok) throw new Error(`seed read rejected: ${v.reason}: ${v.detail}`);
    if (v.read.read_type !== 'INTERVAL')
      throw new Error('only INTERVAL reads go into the realtime view here');
    const p = partitionOfMeter(v.read.meter_id, opts.partitions, opts.partitioner);
    const list = byPartition.get(p) ?? [];
    list.push(
      toApplyRead(v.read, '0', r.attribution, {
        keyPrefix: opts.keyPrefix,
        partition: p,
        timeZone: opts.timeZone,
      }),
    );
    byPartition.set(p, list);
    latestStart.set(p, Math.max(latestStart.get(p) ?? 0, v.read.intervalStartMs));
  }
  const chunk = opts.chunk ?? 2_000;
  for (const [partition, list] of byPartition) {
    const maxEventMs = opts.maxEventMs ?? latestStart.get(partition) ?? 0;
    for (let i = 0; i < list.length; i += chunk) {
      const part = list.slice(i, i + chunk);
      const fence = await redis.hget(fenceKey(opts.keyPrefix, partition), 'offset');
      const base = fence === null ? 0 : Number(fence) + 1;
      await applyChunk(redis, opts.keyPrefix, {
        partition,
        lastOffset: String(base + part.length - 1),
        maxEventMs,
        reads: part.map((r, k) => ({ ...r, offset: String(base + k) })),
      });
    }
  }
}

/**
 * Turns one Kafka batch of the reads topic into what the consumer does with it: chunks of valid
 * INTERVAL reads for the partition's writer (each with its fence offset), DLQ records for invalid messages, and
 * counts. Pure apart from the watermark state it advances, so replay decisions are testable.
 */
import {
  checkKnownMeter,
  checkMeterPartition,
  failure,
  makeDlqRecord,
  validateRead,
  type DlqRecord,
  type ReadValidationContext,
  type TopologyIndex,
  type ValidIntervalRead,
} from '@ami/shared/contracts';
import type { Partitioner } from '@ami/shared/partitioner';
import { toApplyRead, type ApplyRead } from '../realtime-view/apply-args.ts';
import type { ApplyChunk } from '../realtime-view/apply.ts';

/** A chunk with, per read, its read_ts and Kafka produce time (NaN when unknown) for freshness. */
export interface PlannedChunk extends ApplyChunk {
  readonly readTsMs: readonly number[];
  readonly produceTsMs: readonly number[];
}
import type { GridAttribution } from '../realtime-view/keys.ts';
import { isBeyondRetention, type PartitionWatermarks } from '../watermark.ts';

/** A consumed message (a `KafkaRecord` of @ami/shared/clients is one). */
export interface InboundMessage {
  readonly offset: bigint;
  readonly key: Buffer | null | undefined;
  readonly value: Buffer | null | undefined;
  /** Kafka record timestamp (produce time, ms), when known. */
  readonly timestamp?: bigint;
}

export interface ReadPlanContext {
  readonly topic: string;
  readonly partition: number;
  readonly keyPrefix: string;
  readonly timeZone: string;
  readonly nowMs: number;
  readonly validation: ReadValidationContext;
  /** When given, unknown meters go to the DLQ and substation/region come from it. */
  readonly topology: TopologyIndex | undefined;
  /**
   * Partitions of the reads topic. When given, an INTERVAL read on another partition than its
   * meter's (the one `partitioner` gives its meter_id) goes to the DLQ as WRONG_PARTITION, saying
   * whether its key is not its meter_id or the producer's partitioner is another: applied here it
   * would sit under keys no reader looks up, and a copy on the right partition would be counted
   * twice in the grid sums.
   */
  readonly numPartitions?: number;
  /** AMI_KAFKA_PARTITIONER: the head-end producer's rule meters are placed by (default murmur2). */
  readonly partitioner?: Partitioner;
  readonly retentionDays: number;
  /** Messages per write (the chunk's fence moves once per write.lua call). */
  readonly maxMessagesPerChunk: number;
  readonly watermarks: PartitionWatermarks;
}

export interface ReadPlanCounts {
  valid: number;
  invalid: number;
  /** Valid DAILY register reads: not part of the provisional view (batch VEE uses them). */
  registers: number;
  /** Valid reads older than provisional retention: left to the batch layer. */
  beyondRetention: number;
  /** Valid reads behind their partition's watermark on arrival (still applied within retention). */
  late: number;
}

export interface ReadPlan {
  readonly chunks: PlannedChunk[];
  readonly dlq: DlqRecord[];
  readonly counts: ReadPlanCounts;
}

function attributionOf(
  read: ValidIntervalRead,
  key: InboundMessage['key'],
  ctx: ReadPlanContext,
): GridAttribution | DlqReason {
  let substationId = '';
  let region = '';
  if (ctx.topology !== undefined) {
    const known = checkKnownMeter(read, ctx.topology);
    if (!known.ok) return { failure: known };
    substationId = known.topology.substation_id;
    region = known.topology.region;
  }
  if (ctx.numPartitions !== undefined) {
    const misrouted = checkMeterPartition(read.meter_id, ctx.partition, ctx.numPartitions, {
      partitioner: ctx.partitioner,
      key: key ?? null,
    });
    if (misrouted !== undefined) return { failure: misrouted };
  }
  return { transformerId: read.transformer_id, feederId: read.feeder_id, substationId, region };
}

interface DlqReason {
  readonly failure: Parameters<typeof makeDlqRecord>[0]['failure'];
}

export function planReadBatch(messages: readonly InboundMessage[], ctx: ReadPlanContext): ReadPlan {
  const plan: ReadPlan = {
    chunks: [],
    dlq: [],
    counts: { valid: 0, invalid: 0, registers: 0, beyondRetention: 0, late: 0 },
  };
  let chunk = new ChunkBuilder();
  for (const m of messages) {
    planMessage(m, ctx, plan, chunk);
    if (++chunk.messages >= ctx.maxMessagesPerChunk) {
      plan.chunks.push(chunk.build(ctx.partition, String(m.offset)));
      chunk = new ChunkBuilder();
    }
  }
  const last = messages[messages.length - 1];
  if (chunk.messages > 0 && last !== undefined)
    plan.chunks.push(chunk.build(ctx.partition, String(last.offset)));
  return plan;
}

/** The chunk being filled: the applicable reads of up to maxMessagesPerChunk messages. */
class ChunkBuilder {
  messages = 0;
  private readonly reads: ApplyRead[] = [];
  private readonly readTsMs: number[] = [];
  private readonly produceTsMs: number[] = [];
  private maxEventMs: number | undefined;

  /** A valid read of the chunk's messages (applied or not: the fence's max event time counts it). */
  observe(eventMs: number): void {
    if (this.maxEventMs === undefined || eventMs > this.maxEventMs) this.maxEventMs = eventMs;
  }

  add(read: ApplyRead, readTsMs: number, produceTs: bigint | undefined): void {
    this.reads.push(read);
    this.readTsMs.push(readTsMs);
    this.produceTsMs.push(produceTs === undefined ? Number.NaN : Number(produceTs));
  }

  build(partition: number, lastOffset: string): PlannedChunk {
    const { maxEventMs, reads, readTsMs, produceTsMs } = this;
    return { partition, lastOffset, maxEventMs, reads, readTsMs, produceTsMs };
  }
}

/**
 * One message: to the DLQ (invalid, wrongly attributed, not encodable), counted only (a DAILY
 * register read, a read beyond provisional retention), or into the chunk.
 */
function planMessage(m: InboundMessage, ctx: ReadPlanContext, plan: ReadPlan, chunk: ChunkBuilder): void {
  const v = validateRead(m.value ?? null, ctx.validation);
  if (!v.ok) return toDlq(m, v, ctx, plan);
  const read = v.read;
  const attribution = read.read_type === 'INTERVAL' ? attributionOf(read, m.key, ctx) : undefined;
  if (attribution !== undefined && 'failure' in attribution) return toDlq(m, attribution.failure, ctx, plan);
  const { counts } = plan;
  counts.valid++;
  const eventMs = read.intervalStartMs;
  const watermark = ctx.watermarks.partitionWatermark(ctx.partition);
  ctx.watermarks.observe(ctx.partition, eventMs, ctx.nowMs);
  if (eventMs < watermark) counts.late++;
  chunk.observe(eventMs);
  if (read.read_type === 'DAILY' || attribution === undefined) counts.registers++;
  else if (isBeyondRetention(eventMs, watermark, ctx.retentionDays, ctx.timeZone)) counts.beyondRetention++;
  else {
    try {
      chunk.add(toApplyRead(read, String(m.offset), attribution, ctx), read.readTsMs, m.timestamp);
    } catch (err) {
      counts.valid--;
      toDlq(m, failure('OUT_OF_RANGE', err instanceof Error ? err.message : String(err)), ctx, plan);
    }
  }
}

function toDlq(m: InboundMessage, f: DlqReason['failure'], ctx: ReadPlanContext, plan: ReadPlan): void {
  plan.counts.invalid++;
  plan.dlq.push(
    makeDlqRecord({
      payload: m.value ?? null,
      failure: f,
      stage: 'speed',
      sourceTopic: ctx.topic,
      sourcePartition: ctx.partition,
      sourceOffset: String(m.offset),
      key: m.key ?? null,
      receivedAtMs: ctx.nowMs,
    }),
  );
}

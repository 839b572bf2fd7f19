/**
 * What the archiver holds for one topic partition between two flushes, and the objects it becomes.
 * Pure: appending rows, tracking the offset range, and planning the flush — valid rows grouped by
 * the local date of their instant (reads: interval_start, events: event_ts), invalid ones by the
 * local date of receipt, one object per (dataset, kind, date) named from (group, partition, first
 * offset, last offset).
 */
import { addLocalDays } from '@ami/shared/time';
import { archiveObjectKey, type ArchiveKind } from './naming.ts';
import { groupByLocalDate, type ArchivedEvent, type ArchivedRead, type QuarantinedMessage } from './rows.ts';

export type PlannedObject =
  | { readonly table: 'reads'; readonly key: string; readonly date: string; readonly rows: ArchivedRead[] }
  | { readonly table: 'events'; readonly key: string; readonly date: string; readonly rows: ArchivedEvent[] }
  | {
      readonly table: 'quarantine';
      readonly key: string;
      readonly date: string;
      readonly rows: QuarantinedMessage[];
    };

export interface FlushPlan {
  readonly objects: readonly PlannedObject[];
  /** Local dates that received valid data (to mark dirty), ascending. */
  readonly dirtyDates: readonly string[];
  /** Offset to commit once every object is stored: last offset + 1. */
  readonly commitOffset: string;
}

export interface PlanContext {
  readonly prefix: string;
  readonly groupId: string;
  readonly timeZone: string;
}

export class PartitionBuffer {
  readonly reads: ArchivedRead[] = [];
  readonly events: ArchivedEvent[] = [];
  readonly quarantine: QuarantinedMessage[] = [];
  firstOffset: string | undefined;
  lastOffset: string | undefined;
  /** When the first message was buffered (epoch ms), for the age limit. */
  startedAtMs = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly kind: ArchiveKind,
  ) {}

  get size(): number {
    return this.reads.length + this.events.length + this.quarantine.length;
  }

  /** Offsets must increase; a message at or before the last one means a re-delivery (see archiver). */
  accepts(offset: string): boolean {
    return this.lastOffset === undefined || BigInt(offset) > BigInt(this.lastOffset);
  }

  /** Records that `offset` was consumed (its row, if any, was pushed to one of the arrays). */
  consumed(offset: string, nowMs: number): void {
    if (!this.accepts(offset)) throw new RangeError(`offset ${offset} after ${this.lastOffset}`);
    if (this.firstOffset === undefined) {
      this.firstOffset = offset;
      this.startedAtMs = nowMs;
    }
    this.lastOffset = offset;
  }

  /** The objects of a flush; undefined when nothing was consumed. */
  plan(ctx: PlanContext): FlushPlan | undefined {
    if (this.firstOffset === undefined || this.lastOffset === undefined) return undefined;
    const base = {
      groupId: ctx.groupId,
      partition: this.partition,
      firstOffset: this.firstOffset,
      lastOffset: this.lastOffset,
    };
    const key = (dataset: 'raw' | 'quarantine', date: string) =>
      archiveObjectKey(ctx.prefix, { ...base, dataset, kind: this.kind, date });
    const objects: PlannedObject[] = [];
    const dirty = new Set<string>();
    for (const [date, rows] of groupByLocalDate(this.reads, (r) => r.interval_start_ms, ctx.timeZone)) {
      objects.push({ table: 'reads', key: key('raw', date), date, rows });
      dirty.add(date);
      // A DAILY register read at D's first instant is also the END register of D − 1 (its sum
      // check and register-bounded estimation), so D − 1 is rebuilt too.
      if (rows.some((r) => r.read_type === 'DAILY')) dirty.add(addLocalDays(date, -1));
    }
    for (const [date, rows] of groupByLocalDate(this.events, (e) => e.event_ts_ms, ctx.timeZone)) {
      objects.push({ table: 'events', key: key('raw', date), date, rows });
      dirty.add(date);
      // An outage opened on D may still be open at D + 1's midnight (outage fill there).
      dirty.add(addLocalDays(date, 1));
    }
    for (const [date, rows] of groupByLocalDate(this.quarantine, (q) => q.received_at_ms, ctx.timeZone)) {
      objects.push({ table: 'quarantine', key: key('quarantine', date), date, rows });
    }
    return {
      objects,
      dirtyDates: [...dirty].sort(),
      commitOffset: (BigInt(this.lastOffset) + 1n).toString(),
    };
  }
}

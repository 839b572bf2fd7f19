/**
 * AlertEngine: the speed layer's alert evaluation (SPEC 4), called by the consumer.
 *  - onEvents(events): EVENT alerts (codes with alert=true), last gasps and restores for
 *    TRANSFORMER_OUTAGE, restores clearing the meter's last-gasp EVENT alert.
 *  - onWatermark(watermarkMs, nowMs): every 15-minute window that closed (window end ≤ the shared
 *    watermark) since the last evaluation, in order, per transformer: LOW_RECEIPT_RATE,
 *    LOW_VOLTAGE, HIGH_VOLTAGE, METER_COMM_LOSS (from the realtime view), then EVENT alerts whose
 *    hold ended. One instance at a time evaluates (lease in Redis), the cursor (last evaluated
 *    window end) lives in Redis so a restart or another instance continues where it stopped.
 *  - drainOutbox(): produces the queued transitions to the alert topics.
 * Every transition goes through AlertStore (atomic, deduplicated, replay-safe). The engine keeps
 * no per-meter state in memory: comm loss is derived from the realtime view's meter-day slots.
 */
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@ami/shared/clients';
import type { KafkaProducer } from '@ami/shared/clients';
import { alertDedupKey, type Alert, type ValidEvent } from '@ami/shared/contracts';
import type { TopicConfig } from '@ami/shared/config';
import type { Partitioner } from '@ami/shared/partitioner';
import { renewLeaseAndSet } from '@ami/shared/lease';
import {
  GRID_ALERT_TYPE_DEFS,
  type AlertRuleParams,
  type AlertTopicKey,
  type EventCodeTable,
  type GridAlertType,
} from '@ami/shared/domain';
import type { Logger } from '@ami/shared/log';
import { counter, type Registry } from '@ami/shared/metrics';
import { intervalIndexInLocalDay, localDate, parseIsoInstant } from '@ami/shared/time';
import { readGridWindows, readMeterPresence } from '../realtime-view/read-view.ts';
import type { GridWindow } from '../realtime-view/layout.ts';
import { openAlert, type OpenSpec } from './alert-record.ts';
import { EMPTY_OUTAGE_SNAPSHOT, OutageState, type OutageSnapshot } from './outage-state.ts';
import type { TransformerRoster } from './roster.ts';
import {
  WINDOW_MS,
  commLossPossible,
  evaluateTransformerWindow,
  eventActions,
  isMeterCommLoss,
  isOutageBurst,
  isOutageCleared,
  largestGaspBurst,
  metersOutDuring,
  missedRun,
  outageRestoreStatus,
} from './rules.ts';
import type { AlertEngineSettings } from './settings.ts';
import { AlertStore, type AlertTransition } from './store.ts';

/** Transformers evaluated concurrently (each needs a few Redis reads). */
const TRANSFORMER_CONCURRENCY = 64;
/** Transformers whose windows are read together (one pipeline per partition and local date). */
const GRID_READ_BATCH = 1024;

export interface AlertEngineDeps {
  readonly redis: RedisClient;
  /** Producer for the alert topics; without one the outbox is kept for another instance to drain. */
  readonly producer?: KafkaProducer;
  readonly topics: Pick<TopicConfig, AlertTopicKey>;
  readonly roster: TransformerRoster;
  readonly eventCodes: EventCodeTable;
  readonly rules: AlertRuleParams;
  readonly settings: AlertEngineSettings;
  /** The realtime view this engine reads (AMI_SPEED_KEY_PREFIX and the reads topic's partitions). */
  readonly viewKeyPrefix: string;
  readonly numPartitions: number;
  /** AMI_KAFKA_PARTITIONER: the partition a meter's days are under (default murmur2). */
  readonly partitioner?: Partitioner;
  readonly timeZone: string;
  /** Distinguishes instances in leases and the shared watermark (default: a random UUID). */
  readonly instanceId?: string;
  readonly registry?: Registry;
  readonly logger?: Logger;
  /**
   * When no cursor exists yet, the first evaluated window is the one starting here (aligned down);
   * default: only the latest closed window.
   */
  readonly evaluateFromMs?: number;
}

export interface WatermarkResult {
  /** The shared watermark used (min over the live instances' reports). */
  readonly watermarkMs: number;
  /** Windows evaluated by this call (0 when another instance holds the lease). */
  readonly windowsEvaluated: number;
  /** Windows skipped because they were more than maxCatchUpWindows behind. */
  readonly windowsSkipped: number;
  readonly transitions: AlertTransition[];
}

interface EngineMetrics {
  opened: ReturnType<typeof counter>;
  cleared: ReturnType<typeof counter>;
  windows: ReturnType<typeof counter>;
  skipped: ReturnType<typeof counter>;
  produced: ReturnType<typeof counter>;
  replays: ReturnType<typeof counter>;
}

/** One 15-minute window as a slot of a local day's realtime-view strings. */
interface WindowSlot {
  readonly date: string;
  readonly index: number;
}

/** The windows a transformer evaluation looks at: the last commLossIntervals, oldest first. */
interface WindowSpan {
  /** Start of each window (the last one is the window just closed). */
  readonly starts: readonly number[];
  readonly slots: readonly WindowSlot[];
  /** The local dates of `slots`, each once. */
  readonly dates: readonly string[];
}

/** A transformer's grid window in one slot, and its active meters that were out of supply then. */
interface TransformerWindow {
  readonly window: GridWindow | undefined;
  readonly out: ReadonlySet<string>;
}

function transformerWindows(
  starts: readonly number[],
  gridWindows: readonly (GridWindow | undefined)[],
  snapshot: OutageSnapshot,
  active: readonly string[],
): TransformerWindow[] {
  const activeSet = new Set(active);
  return starts.map((ws, i) => {
    const out = [...metersOutDuring(snapshot.gasps, snapshot.restores, ws, ws + WINDOW_MS)].filter((m) =>
      activeSet.has(m),
    );
    return { window: gridWindows[i], out: new Set(out) };
  });
}

function alignDown(ms: number): number {
  return Math.floor(ms / WINDOW_MS) * WINDOW_MS;
}

export class AlertEngine {
  readonly store: AlertStore;
  readonly instanceId: string;
  private readonly outages: OutageState;
  private readonly metrics: EngineMetrics | undefined;
  /** Window end this instance last saw evaluated (memory only: a shortcut, never a decision). */
  private lastEvaluatedEnd = -Infinity;
  private lastReported = NaN;
  private lastReportAtMs = -Infinity;
  private evaluating = false;
  private draining: Promise<number> | undefined;

  constructor(private readonly deps: AlertEngineDeps) {
    const s = deps.settings;
    this.instanceId = deps.instanceId ?? randomUUID();
    this.store = new AlertStore(deps.redis, {
      keyPrefix: s.keyPrefix,
      historyMaxLen: s.historyMaxLen,
      replayHorizonMs: s.replayHorizonS * 1000,
      topics: deps.topics,
    });
    this.outages = new OutageState(
      deps.redis,
      this.store.keys,
      deps.rules.outageWindowMs,
      s.replayHorizonS * 1000,
    );
    const r = deps.registry;
    this.metrics =
      r === undefined
        ? undefined
        : {
            opened: counter(r, 'alerts_opened_total', 'Alerts opened, by type', ['type']),
            cleared: counter(r, 'alerts_cleared_total', 'Alerts cleared, by type', ['type']),
            windows: counter(
              r,
              'alert_windows_evaluated_total',
              '15-minute windows evaluated by the alert engine',
            ),
            skipped: counter(
              r,
              'alert_windows_skipped_total',
              'Closed windows skipped because they were more than AMI_ALERT_MAX_CATCHUP_WINDOWS behind',
            ),
            produced: counter(r, 'alert_records_produced_total', 'Alert transitions produced to Kafka'),
            replays: counter(
              r,
              'alert_replays_ignored_total',
              'Opens refused because the alert was already cleared at or after that time (replays)',
            ),
          };
  }

  // ---------------------------------------------------------------- transitions

  private async open(
    spec: OpenSpec,
    out: AlertTransition[],
    expireAtMs?: number,
  ): Promise<Alert | undefined> {
    const alert = openAlert(spec);
    const outcome = await this.store.open(alert, expireAtMs);
    if (outcome === 'opened') {
      out.push({ transition: 'open', alert });
      this.metrics?.opened.inc({ type: alert.type });
      return alert;
    }
    if (outcome === 'stale') this.metrics?.replays.inc();
    return undefined;
  }

  private async clear(dedupKey: string, atMs: number, why: string, out: AlertTransition[]): Promise<void> {
    const cleared = await this.store.clear(dedupKey, atMs, why);
    if (cleared !== undefined) {
      out.push({ transition: 'clear', alert: cleared });
      this.metrics?.cleared.inc({ type: cleared.type });
    }
  }

  private gridSpec(type: GridAlertType): Pick<OpenSpec, 'type' | 'source' | 'severity' | 'entityType'> {
    const def = GRID_ALERT_TYPE_DEFS[type];
    return { type, source: def.source, severity: def.defaultSeverity, entityType: def.entityType };
  }

  // ---------------------------------------------------------------- events

  /**
   * Handles a batch of valid events (in partition order). Call before committing the batch's
   * offsets: when it resolves, every transition is durable in Redis (and queued for Kafka).
   */
  async onEvents(events: readonly ValidEvent[]): Promise<AlertTransition[]> {
    const out: AlertTransition[] = [];
    const holdMs = this.deps.settings.eventHoldS * 1000;
    for (const e of events) {
      const def = e.definition;
      const acts = eventActions(def);
      if (acts.alert) {
        const expireAtMs = acts.lastGasp || holdMs === 0 ? undefined : e.eventTsMs + holdMs;
        // Event time decides, not arrival order: when events run ahead of the reads' watermark (a
        // replay, a backlog), the previous alert of this meter and code may still be open although
        // its hold ended before this event. Clear it at its hold's end first, so the repeat opens
        // its own alert instead of being merged into the old one.
        if (expireAtMs !== undefined)
          await this.clearHeldBefore(def.name, e.meter_id, e.eventTsMs, holdMs, out);
        await this.open(
          {
            type: def.name,
            source: 'EVENT',
            severity: def.severity,
            entityType: 'meter',
            entityId: e.meter_id,
            openedAtMs: e.eventTsMs,
            value: e.event_code,
            eventCode: e.event_code,
            detail: `meter ${e.meter_id} sent event ${e.event_code} ${def.name}: ${e.event_desc}`,
          },
          out,
          expireAtMs,
        );
      }
      if (acts.lastGasp) await this.onLastGasp(e, out);
      if (acts.restore) await this.onRestore(e, out);
    }
    if (out.length > 0) await this.drainOutbox();
    return out;
  }

  /** Clears the open EVENT alert of (type, meter) whose hold ended at or before `atMs`. */
  private async clearHeldBefore(
    type: string,
    meterId: string,
    atMs: number,
    holdMs: number,
    out: AlertTransition[],
  ): Promise<void> {
    const key = alertDedupKey({ type, entity_type: 'meter', entity_id: meterId });
    const open = await this.store.get(key);
    if (open === undefined) return;
    const holdEndMs = parseIsoInstant(open.opened_at) + holdMs;
    if (holdEndMs <= atMs) await this.clear(key, holdEndMs, 'event hold elapsed', out);
  }

  private outageKey(transformerId: string): string {
    return alertDedupKey({
      type: 'TRANSFORMER_OUTAGE',
      entity_type: 'transformer',
      entity_id: transformerId,
    });
  }

  private async onLastGasp(e: ValidEvent, out: AlertTransition[]): Promise<void> {
    const tx = this.deps.roster.transformerOf(e.meter_id, e.eventTsMs);
    if (tx === undefined) return;
    const near = await this.outages.gasp(tx, e.meter_id, e.eventTsMs);
    const burst = largestGaspBurst(near, this.deps.rules.outageWindowMs, e.eventTsMs);
    const active = this.deps.roster.activeMeters(tx, e.eventTsMs).length;
    if (!isOutageBurst(burst, active, this.deps.rules)) return;
    await this.open(
      {
        ...this.gridSpec('TRANSFORMER_OUTAGE'),
        entityId: tx,
        openedAtMs: burst.startMs,
        value: burst.count,
        detail: `${burst.count} of ${active} meters of transformer ${tx} sent a last gasp within ${this.deps.rules.outageWindowMs / 1000} s`,
      },
      out,
    );
    // Restores may have been handled before the last gasp that completed the burst.
    await this.checkOutageCleared(tx, out);
  }

  private async onRestore(e: ValidEvent, out: AlertTransition[]): Promise<void> {
    const tx = this.deps.roster.transformerOf(e.meter_id, e.eventTsMs);
    if (tx !== undefined) await this.outages.restore(tx, e.meter_id, e.eventTsMs);
    for (const code of this.deps.eventCodes.outageOpening) {
      const def = this.deps.eventCodes.get(code);
      if (def === undefined || !def.alert) continue;
      const key = alertDedupKey({ type: def.name, entity_type: 'meter', entity_id: e.meter_id });
      const open = await this.store.get(key);
      if (open !== undefined && Date.parse(open.opened_at) <= e.eventTsMs) {
        await this.clear(key, e.eventTsMs, `meter sent ${e.definition.name} (${e.event_code})`, out);
      }
    }
    if (tx !== undefined) await this.checkOutageCleared(tx, out);
  }

  private async checkOutageCleared(tx: string, out: AlertTransition[]): Promise<void> {
    const key = this.outageKey(tx);
    const open = await this.store.get(key);
    if (open === undefined) return;
    const snap = await this.outages.snapshot(tx);
    const status = outageRestoreStatus(
      snap.gasps,
      snap.restores,
      Date.parse(open.opened_at),
      this.deps.rules.outageWindowMs,
    );
    if (!isOutageCleared(status, this.deps.settings.outageClearRestoredPct)) return;
    await this.clear(
      key,
      status.lastRestoreMs,
      `${status.restored} of ${status.gasped} meters that lost supply sent a restore`,
      out,
    );
  }

  // ---------------------------------------------------------------- windows

  /** Reports this instance's watermark and returns the minimum over the live instances. */
  private async sharedWatermark(watermarkMs: number, nowMs: number): Promise<number> {
    const k = this.store.keys.watermarks;
    const timeoutMs = this.deps.settings.instanceTimeoutS * 1000;
    await this.deps.redis.hset(k, this.instanceId, `${watermarkMs}:${nowMs}`);
    const all = await this.deps.redis.hgetall(k);
    let min = Infinity;
    const dead: string[] = [];
    for (const [id, v] of Object.entries(all)) {
      const [wm, at] = v.split(':').map(Number) as [number, number];
      if (nowMs - at > timeoutMs) {
        if (nowMs - at > 10 * timeoutMs) dead.push(id);
        continue;
      }
      if (wm < min) min = wm;
    }
    if (dead.length > 0) await this.deps.redis.hdel(k, ...dead);
    return Math.min(min, watermarkMs);
  }

  /**
   * Evaluates every window whose end is at or before the shared watermark and that no instance has
   * evaluated yet, then clears EVENT alerts whose hold ended. `watermarkMs` is this instance's
   * global watermark (PartitionWatermarks.globalWatermark(nowMs)); with several instances the
   * minimum over the instances that reported within AMI_ALERT_INSTANCE_TIMEOUT_S is used, because
   * a grid window sums the partitions of every instance.
   */
  async onWatermark(watermarkMs: number, nowMs: number): Promise<WatermarkResult> {
    // One evaluation per process at a time (the lease is per instance, so it cannot tell two
    // concurrent calls of one process apart); a call during one returns at once — the running one
    // or the next call catches up.
    if (this.evaluating || !Number.isFinite(watermarkMs)) {
      return { watermarkMs, windowsEvaluated: 0, windowsSkipped: 0, transitions: [] };
    }
    this.evaluating = true;
    try {
      return await this.evaluateUpTo(watermarkMs, nowMs);
    } finally {
      this.evaluating = false;
    }
  }

  private async evaluateUpTo(watermarkMs: number, nowMs: number): Promise<WatermarkResult> {
    const transitions: AlertTransition[] = [];
    // Nothing can have closed since the last call: skip Redis. Only the window-aligned watermark
    // matters to other instances (alignDown(min) = min of alignDown), and the report is refreshed
    // well within the instance timeout so that they keep counting this one.
    const reportEveryMs = (this.deps.settings.instanceTimeoutS * 1000) / 4;
    if (
      alignDown(watermarkMs) <= this.lastEvaluatedEnd &&
      alignDown(watermarkMs) === this.lastReported &&
      nowMs - this.lastReportAtMs < reportEveryMs
    ) {
      return { watermarkMs, windowsEvaluated: 0, windowsSkipped: 0, transitions };
    }
    this.lastReported = alignDown(watermarkMs);
    this.lastReportAtMs = nowMs;
    const shared = await this.sharedWatermark(watermarkMs, nowMs);
    const keys = this.store.keys;
    const leaseMs = this.deps.settings.lockTtlS * 1000;
    let evaluated = 0;
    let skipped = 0;
    if (await this.store.acquire(keys.evalLock, this.instanceId, leaseMs)) {
      try {
        const lastEnd = alignDown(shared);
        const cursor = await this.deps.redis.get(keys.cursor);
        let nextEnd =
          cursor !== null
            ? Number(cursor) + WINDOW_MS
            : this.deps.evaluateFromMs !== undefined
              ? alignDown(this.deps.evaluateFromMs) + WINDOW_MS
              : lastEnd;
        const pending = (lastEnd - nextEnd) / WINDOW_MS + 1;
        const max = this.deps.settings.maxCatchUpWindows;
        if (pending > max) {
          skipped = pending - max;
          nextEnd = lastEnd - (max - 1) * WINDOW_MS;
          this.metrics?.skipped.inc(skipped);
          this.deps.logger?.warn({ skipped, fromEnd: nextEnd }, 'alert windows too far behind were skipped');
        }
        for (let end = nextEnd; end <= lastEnd; end += WINDOW_MS) {
          await this.evaluateWindow(end - WINDOW_MS, end, transitions);
          evaluated++;
          this.metrics?.windows.inc();
          // The cursor moves only while this instance holds the evaluation lease (renewed with it).
          const lease = { key: keys.evalLock, owner: this.instanceId, ttlMs: leaseMs };
          const ok = await renewLeaseAndSet(this.deps.redis, lease, keys.cursor, String(end));
          if (!ok) break; // lease lost: another instance continues from the cursor
          this.lastEvaluatedEnd = end;
        }
        if (nextEnd > lastEnd) this.lastEvaluatedEnd = Math.max(this.lastEvaluatedEnd, nextEnd - WINDOW_MS);
        for (const [key, atMs] of await this.store.dueExpiries(shared)) {
          await this.clear(key, atMs, 'event hold elapsed', transitions);
        }
      } finally {
        await this.store.release(keys.evalLock, this.instanceId);
      }
    }
    await this.drainOutbox();
    return { watermarkMs: shared, windowsEvaluated: evaluated, windowsSkipped: skipped, transitions };
  }

  /** Evaluates one closed window [startMs, endMs) for every transformer. */
  async evaluateWindow(
    startMs: number,
    endMs: number,
    out: AlertTransition[] = [],
  ): Promise<AlertTransition[]> {
    const { roster, rules, timeZone: tz } = this.deps;
    const k = rules.commLossIntervals;
    const starts = Array.from({ length: k }, (_, i) => startMs - (k - 1 - i) * WINDOW_MS);
    const slots = starts.map((s) => ({ date: localDate(s, tz), index: intervalIndexInLocalDay(s, tz) }));
    const dates = [...new Set(slots.map((s) => s.date))];
    const openKeys = await this.store.openKeys();
    const outageTx = await this.outages.transformersSince(starts[0] ?? startMs);
    const commLossOpen = new Map<string, string[]>();
    for (const key of openKeys) {
      const [type, , meterId] = key.split('|');
      if (type !== 'METER_COMM_LOSS' || meterId === undefined) continue;
      const tx = roster.transformerOf(meterId, startMs);
      if (tx === undefined) continue;
      const list = commLossOpen.get(tx) ?? [];
      list.push(meterId);
      commLossOpen.set(tx, list);
    }
    // Transformers with neither active meters nor open comm-loss alerts have nothing to evaluate.
    const todo = roster.transformerIds
      .map((tx) => ({ tx, active: roster.activeMeters(tx, startMs), clOpen: commLossOpen.get(tx) ?? [] }))
      .filter((t) => t.active.length > 0 || t.clOpen.length > 0);
    for (let b = 0; b < todo.length; b += GRID_READ_BATCH) {
      const block = todo.slice(b, b + GRID_READ_BATCH);
      const windows = await this.gridWindows(
        block.map((t) => t.tx),
        slots,
        dates,
      );
      for (let i = 0; i < block.length; i += TRANSFORMER_CONCURRENCY) {
        const results = await Promise.all(
          block
            .slice(i, i + TRANSFORMER_CONCURRENCY)
            .map((t) =>
              this.evaluateTransformer(
                t.tx,
                { starts, slots, dates },
                t.active,
                windows.get(t.tx) ?? [],
                openKeys,
                outageTx.has(t.tx),
                t.clOpen,
              ),
            ),
        );
        for (const r of results) out.push(...r);
      }
    }
    return out;
  }

  /**
   * Per transformer, its window (summed over the partitions) in each of `slots`: only those records,
   * read for the whole chunk in one pipeline per partition and date.
   */
  private async gridWindows(
    txs: readonly string[],
    slots: readonly WindowSlot[],
    dates: readonly string[],
  ): Promise<Map<string, (GridWindow | undefined)[]>> {
    const byDate = new Map<string, { from: number; windows: Map<string, GridWindow[]> }>();
    await Promise.all(
      dates.map(async (date) => {
        const indexes = slots.filter((s) => s.date === date).map((s) => s.index);
        const from = Math.min(...indexes);
        const windows = await readGridWindows(
          this.deps.redis,
          this.deps.viewKeyPrefix,
          this.deps.numPartitions,
          'transformer',
          txs,
          date,
          from,
          Math.max(...indexes),
        );
        byDate.set(date, { from, windows });
      }),
    );
    const out = new Map<string, (GridWindow | undefined)[]>();
    for (const tx of txs) {
      out.set(
        tx,
        slots.map((s) => {
          const d = byDate.get(s.date);
          return d?.windows.get(tx)?.[s.index - d.from];
        }),
      );
    }
    return out;
  }

  /**
   * One transformer in the window that just closed (the last of `span`): the grid rules on its
   * window, then METER_COMM_LOSS of its meters over the last commLossIntervals windows.
   */
  private async evaluateTransformer(
    tx: string,
    span: WindowSpan,
    active: readonly string[],
    gridWindows: readonly (GridWindow | undefined)[],
    openKeys: ReadonlySet<string>,
    hasOutageState: boolean,
    commLossOpen: readonly string[],
  ): Promise<AlertTransition[]> {
    const out: AlertTransition[] = [];
    if (active.length === 0 && commLossOpen.length === 0) return out;
    const snapshot = hasOutageState ? await this.outages.snapshot(tx) : EMPTY_OUTAGE_SNAPSHOT;
    const windows = transformerWindows(span.starts, gridWindows, snapshot, active);
    const current = windows[windows.length - 1];
    if (current?.window === undefined) return out;
    const startMs = span.starts[span.starts.length - 1] as number;
    if (active.length > 0) {
      await this.evaluateGridRules(
        tx,
        startMs,
        active.length,
        current.window,
        current.out.size,
        openKeys,
        out,
      );
    }
    await this.evaluateCommLoss(tx, span, active, windows, commLossOpen, out);
    return out;
  }

  /** LOW_RECEIPT_RATE, LOW_VOLTAGE, HIGH_VOLTAGE of a transformer's window: opened or cleared. */
  private async evaluateGridRules(
    tx: string,
    startMs: number,
    activeMeters: number,
    window: GridWindow,
    metersOut: number,
    openKeys: ReadonlySet<string>,
    out: AlertTransition[],
  ): Promise<void> {
    const findings = evaluateTransformerWindow({ activeMeters, metersOut, window }, this.deps.rules);
    for (const f of findings) {
      const key = alertDedupKey({ type: f.type, entity_type: 'transformer', entity_id: tx });
      if (f.decision === 'open' && !openKeys.has(key)) {
        await this.open(
          {
            ...this.gridSpec(f.type),
            entityId: tx,
            openedAtMs: startMs,
            value: f.value,
            detail: `transformer ${tx}: ${f.detail}`,
            windowStartMs: startMs,
            windowEndMs: startMs + WINDOW_MS,
          },
          out,
        );
      } else if (f.decision === 'clear' && openKeys.has(key)) {
        await this.clear(key, startMs, f.detail, out);
      }
    }
  }

  /**
   * METER_COMM_LOSS of a transformer's meters: opened for active meters that missed the last
   * windows while the others reported (when the counts make that possible at all), cleared for
   * meters with an open one that reported the current window. Reads presence only when needed.
   */
  private async evaluateCommLoss(
    tx: string,
    span: WindowSpan,
    active: readonly string[],
    windows: readonly TransformerWindow[],
    commLossOpen: readonly string[],
    out: AlertTransition[],
  ): Promise<void> {
    const counts = windows.map((w) => ({
      reported: w.window?.metersReported ?? 0,
      expected: active.length - w.out.size,
    }));
    const possible = active.length > 0 && commLossPossible(counts, this.deps.rules);
    const currentReported = windows[windows.length - 1]?.window?.metersReported ?? 0;
    const toClear = currentReported > 0 ? commLossOpen : [];
    if (!possible && toClear.length === 0) return;
    const meters = possible ? [...new Set([...active, ...toClear])] : toClear;
    const present = await this.presence(meters, span.slots, span.dates);
    if (possible) {
      const openCl = new Set(commLossOpen);
      const candidates = active.filter((m) => !openCl.has(m));
      await this.openCommLoss(tx, span.starts, candidates, windows, counts, present, out);
    }
    const startMs = span.starts[span.starts.length - 1] as number;
    for (const m of toClear) {
      const has = present.get(m) ?? [];
      if (has[has.length - 1] !== true) continue;
      const key = alertDedupKey({ type: 'METER_COMM_LOSS', entity_type: 'meter', entity_id: m });
      await this.clear(
        key,
        startMs,
        `meter reported the interval starting ${new Date(startMs).toISOString()}`,
        out,
      );
    }
  }

  /**
   * Opens METER_COMM_LOSS for each of `meters` whose run of missed windows (neither a read nor an
   * outage) meets the rule while the transformer's other meters reported.
   */
  private async openCommLoss(
    tx: string,
    starts: readonly number[],
    meters: readonly string[],
    windows: readonly TransformerWindow[],
    counts: readonly { reported: number }[],
    present: ReadonlyMap<string, boolean[]>,
    out: AlertTransition[],
  ): Promise<void> {
    const endMs = (starts[starts.length - 1] as number) + WINDOW_MS;
    for (const m of meters) {
      const has = present.get(m) ?? [];
      const covered = windows.map((w, i) => has[i] === true || w.out.has(m));
      const others = counts.map((c, i) => c.reported - (has[i] === true ? 1 : 0));
      if (!isMeterCommLoss(covered, others, this.deps.rules)) continue;
      const run = missedRun(covered, others);
      const firstMissed = starts[starts.length - run] as number;
      await this.open(
        {
          ...this.gridSpec('METER_COMM_LOSS'),
          entityId: m,
          openedAtMs: firstMissed,
          value: run,
          detail: `meter ${m} missed ${run} consecutive intervals while transformer ${tx} reported`,
          windowStartMs: firstMissed,
          windowEndMs: endMs,
        },
        out,
      );
    }
  }

  /** For each meter, whether it has a read in each of the windows `slots` (from its meter-days). */
  private async presence(
    meters: readonly string[],
    slots: readonly WindowSlot[],
    dates: readonly string[],
  ): Promise<Map<string, boolean[]>> {
    const byDate = new Map<string, { indexes: number[]; present: Map<string, boolean[]> }>();
    await Promise.all(
      dates.map(async (date) => {
        const indexes = slots.filter((s) => s.date === date).map((s) => s.index);
        const present = await readMeterPresence(
          this.deps.redis,
          this.deps.viewKeyPrefix,
          this.deps.numPartitions,
          meters,
          date,
          indexes,
          this.deps.partitioner,
        );
        byDate.set(date, { indexes, present });
      }),
    );
    const out = new Map<string, boolean[]>();
    for (const m of meters) {
      out.set(
        m,
        slots.map((s) => {
          const d = byDate.get(s.date);
          return d?.present.get(m)?.[d.indexes.indexOf(s.index)] === true;
        }),
      );
    }
    return out;
  }

  // ---------------------------------------------------------------- Kafka

  /**
   * Produces the outbox to the alert topics (no-op without a producer or while another instance
   * drains). The engine calls it after each onEvents/onWatermark; call it once at start-up too, so
   * what a crashed run left in the outbox goes out. Returns the records produced.
   */
  async drainOutbox(): Promise<number> {
    const producer = this.deps.producer;
    if (producer === undefined) return 0;
    // Concurrent calls of one process share the running drain and then drain once more, so what
    // they queued is sent before they resolve.
    if (this.draining !== undefined) {
      await this.draining.catch(() => undefined);
      if (this.draining !== undefined) return this.draining;
    }
    const s = this.deps.settings;
    const run = this.store.drainOutbox(producer, this.instanceId, s.outboxBatch, s.lockTtlS * 1000);
    this.draining = run;
    try {
      const n = await run;
      if (n > 0) this.metrics?.produced.inc(n);
      return n;
    } finally {
      this.draining = undefined;
    }
  }
}

/**
 * AlertStore: the alert state in Redis (keys.ts) and its transitions.
 *
 * open/clear run store.lua: the active-set change, the history entry and an OUTBOX entry are one
 * atomic step, so at most one alert is open per dedup key no matter how many instances or replays
 * evaluate the same facts, and a transition can never be in Redis without being queued for Kafka.
 * drainOutbox() then produces the outbox in order to the alert topics (key = dedup key) and deletes
 * what the broker acknowledged: Kafka delivery is at-least-once (a crash between the send and the
 * delete resends the same records, byte-identical, same alert id); nothing is lost.
 */
import { sendMessages, type KafkaProducer, type RedisClient } from '@ami/shared/clients';
import { alertDedupKey, validateAlert, type Alert } from '@ami/shared/contracts';
import { alertTopicOf, type AlertTopicKey } from '@ami/shared/domain';
import type { TopicConfig } from '@ami/shared/config';
import { acquireLease, releaseLease, renewLease } from '@ami/shared/lease';
import { parseIsoInstant } from '@ami/shared/time';
import { ALERT_TRANSITION_SCRIPT } from '../redis-scripts.ts';
import { clearedAlert } from './alert-record.ts';
import { alertKeys, type AlertKeys } from './keys.ts';

export type OpenOutcome = 'opened' | 'duplicate' | 'stale';

export interface AlertTransition {
  readonly transition: 'open' | 'clear';
  readonly alert: Alert;
}

export interface AlertStoreOptions {
  readonly keyPrefix: string;
  readonly historyMaxLen: number;
  /** How long a cleared key refuses reopening at or before its cleared_at (replays). */
  readonly replayHorizonMs: number;
  readonly topics: Pick<TopicConfig, AlertTopicKey>;
}

function parseAlert(json: string): Alert {
  const checked = validateAlert(JSON.parse(json));
  if (!checked.ok) throw new Error(`stored alert is invalid: ${checked.detail}`);
  return checked.value;
}

export class AlertStore {
  readonly keys: AlertKeys;

  constructor(
    readonly redis: RedisClient,
    private readonly opts: AlertStoreOptions,
  ) {
    this.keys = alertKeys(opts.keyPrefix);
  }

  private transition(
    op: 'open' | 'clear',
    dedupKey: string,
    alert: Alert,
    atMs: number,
    last: string,
  ): Promise<unknown> {
    const k = this.keys;
    return ALERT_TRANSITION_SCRIPT.run(
      this.redis,
      [k.active, k.history, k.outbox, k.closed(dedupKey), k.expiry],
      [
        op,
        dedupKey,
        JSON.stringify(alert),
        String(atMs),
        alertTopicOf(alert.source, this.opts.topics),
        String(this.opts.historyMaxLen),
        String(this.opts.replayHorizonMs),
        last,
      ],
    );
  }

  /**
   * Opens `alert` unless one is open for its dedup key ('duplicate') or the key was cleared at or
   * after its opened_at ('stale': a replay of what was already handled). `expireAtMs`: event time
   * at which onExpiries() clears it (EVENT alerts).
   */
  async open(alert: Alert, expireAtMs?: number): Promise<OpenOutcome> {
    const openedAtMs = parseIsoInstant(alert.opened_at);
    const r = await this.transition(
      'open',
      alertDedupKey(alert),
      alert,
      openedAtMs,
      expireAtMs === undefined ? '' : String(expireAtMs),
    );
    return r === 1 ? 'opened' : r === 0 ? 'duplicate' : 'stale';
  }

  /**
   * Clears the open alert of `dedupKey` at `clearedAtMs` (compare-and-set on its id); undefined
   * when none is open or it opened after `clearedAtMs`.
   */
  async clear(dedupKey: string, clearedAtMs: number, why: string): Promise<Alert | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const open = await this.get(dedupKey);
      if (open === undefined) return undefined;
      const openedAtMs = parseIsoInstant(open.opened_at);
      // A fact from before the alert opened (a re-evaluated older window) cannot clear it.
      if (clearedAtMs < openedAtMs) return undefined;
      const cleared = clearedAlert(open, clearedAtMs, openedAtMs, why);
      const at = parseIsoInstant(cleared.cleared_at ?? open.opened_at);
      const r = await this.transition('clear', dedupKey, cleared, at, open.id);
      if (r === 1) return cleared;
      if (r === 0) return undefined;
    }
    throw new Error(`alert ${dedupKey} kept changing while it was being cleared`);
  }

  async get(dedupKey: string): Promise<Alert | undefined> {
    const json = await this.redis.hget(this.keys.active, dedupKey);
    return json === null ? undefined : parseAlert(json);
  }

  /** Dedup keys of the open alerts. */
  async openKeys(): Promise<Set<string>> {
    return new Set(await this.redis.hkeys(this.keys.active));
  }

  /** Every open alert. */
  async active(): Promise<Alert[]> {
    const all = await this.redis.hvals(this.keys.active);
    return all.map(parseAlert);
  }

  /** The history stream, oldest first (at most `count` entries). */
  async history(count = 10_000): Promise<AlertTransition[]> {
    const entries = await this.redis.xrange(this.keys.history, '-', '+', 'COUNT', count);
    return entries.map(([, fields]) => {
      const f = fieldsOf(fields);
      const transition = f.get('transition');
      if (transition !== 'open' && transition !== 'clear') throw new Error('bad history entry');
      return { transition, alert: parseAlert(f.get('alert') ?? '') };
    });
  }

  /** EVENT alerts whose hold ended at or before `uptoMs`: [dedup key, expiry ms]. */
  async dueExpiries(uptoMs: number): Promise<[string, number][]> {
    const flat = await this.redis.zrangebyscore(this.keys.expiry, '-inf', uptoMs, 'WITHSCORES');
    const out: [string, number][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i] as string, Number(flat[i + 1])]);
    return out;
  }

  /** Takes the lease `key` for `owner` (true) unless another owner holds it (@ami/shared/lease). */
  acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return acquireLease(this.redis, { key, owner, ttlMs });
  }

  /** Renews the lease `key` if `owner` still holds it (true). */
  renew(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return renewLease(this.redis, { key, owner, ttlMs });
  }

  /** Deletes the lease `key` if `owner` still holds it. */
  async release(key: string, owner: string): Promise<void> {
    await releaseLease(this.redis, { key, owner });
  }

  /**
   * Produces the outbox to Kafka in order (`batch` entries at a time, per topic in size-bounded
   * calls, idempotent producer with acks = all) and
   * deletes each batch once acknowledged. Only the holder of the outbox lease drains (another
   * instance returns 0 at once). Returns the number of records produced.
   */
  async drainOutbox(producer: KafkaProducer, owner: string, batch: number, leaseMs: number): Promise<number> {
    if (!(await this.acquire(this.keys.outboxLock, owner, leaseMs))) return 0;
    let produced = 0;
    try {
      for (;;) {
        const entries = await this.redis.xrange(this.keys.outbox, '-', '+', 'COUNT', batch);
        if (entries.length === 0) break;
        const byTopic = new Map<string, { key: string; value: string }[]>();
        for (const [, fields] of entries) {
          const f = fieldsOf(fields);
          const topic = f.get('topic') ?? '';
          const list = byTopic.get(topic) ?? [];
          list.push({ key: f.get('key') ?? '', value: f.get('value') ?? '' });
          byTopic.set(topic, list);
        }
        for (const [topic, messages] of byTopic) await sendMessages(producer, topic, messages);
        await this.redis.xdel(this.keys.outbox, ...entries.map(([id]) => id));
        produced += entries.length;
        if (!(await this.renew(this.keys.outboxLock, owner, leaseMs))) break;
      }
    } finally {
      await this.release(this.keys.outboxLock, owner);
    }
    return produced;
  }

  /** Entries waiting in the outbox. */
  outboxLength(): Promise<number> {
    return this.redis.xlen(this.keys.outbox);
  }
}

function fieldsOf(fields: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(fields[i] as string, fields[i + 1] as string);
  return m;
}

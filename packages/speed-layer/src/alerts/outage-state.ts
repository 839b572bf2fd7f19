/**
 * Outage bookkeeping in Redis for TRANSFORMER_OUTAGE (outage.lua): per transformer, every last
 * gasp and restore of its meters (event time), and an index of transformers with recent outage
 * activity, so window evaluation knows which meters were without power. Keeping every event (not
 * only each meter's latest) makes the rules independent of the order in which partitions are
 * processed. State per transformer is bounded by its meters' events within the key TTL (the replay
 * horizon); last gasps and restores are rare.
 */
import type { RedisClient } from '@ami/shared/clients';
import { ALERT_OUTAGE_SCRIPT } from '../redis-scripts.ts';
import { OPEN_OUTAGE_SCORE, type AlertKeys } from './keys.ts';
import type { MeterEventHistory, MeterEventTime } from './rules.ts';

/** The meter of a zset member "<meter>|<ms>". */
function meterOf(member: string): string {
  const bar = member.lastIndexOf('|');
  return bar < 0 ? member : member.slice(0, bar);
}

function pairs(flat: unknown): MeterEventTime[] {
  if (!Array.isArray(flat)) return [];
  const out: MeterEventTime[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    out.push({ meterId: meterOf(String(flat[i])), tsMs: Number(flat[i + 1]) });
  }
  return out;
}

/** A WITHSCORES listing (ascending score) as meter → ascending event times. */
function toHistory(flat: string[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const meter = meterOf(flat[i] as string);
    const times = m.get(meter);
    if (times === undefined) m.set(meter, [Number(flat[i + 1])]);
    else times.push(Number(flat[i + 1]));
  }
  return m;
}

export interface OutageSnapshot {
  /** Meter → its last gasps (ms, ascending). */
  readonly gasps: MeterEventHistory;
  /** Meter → its restores (ms, ascending). */
  readonly restores: MeterEventHistory;
}

export const EMPTY_OUTAGE_SNAPSHOT: OutageSnapshot = { gasps: new Map(), restores: new Map() };

export class OutageState {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: AlertKeys,
    private readonly windowMs: number,
    private readonly ttlMs: number,
  ) {}

  private call(op: 'gasp' | 'restore', transformerId: string, meterId: string, tsMs: number) {
    return ALERT_OUTAGE_SCRIPT.run(
      this.redis,
      [this.keys.gasps(transformerId), this.keys.restores(transformerId), this.keys.outageTransformers],
      [
        op,
        meterId,
        String(tsMs),
        transformerId,
        String(this.ttlMs),
        String(this.windowMs),
        String(OPEN_OUTAGE_SCORE),
      ],
    );
  }

  /** Records a last gasp; returns the transformer's gasps within one outage window of it. */
  async gasp(transformerId: string, meterId: string, tsMs: number): Promise<MeterEventTime[]> {
    return pairs(await this.call('gasp', transformerId, meterId, tsMs));
  }

  async restore(transformerId: string, meterId: string, tsMs: number): Promise<void> {
    await this.call('restore', transformerId, meterId, tsMs);
  }

  /** Transformers with a meter unrestored or outage activity at or after `sinceMs`. */
  async transformersSince(sinceMs: number): Promise<Set<string>> {
    return new Set(await this.redis.zrangebyscore(this.keys.outageTransformers, sinceMs, '+inf'));
  }

  /** The transformer's gasps and restores, read together. */
  async snapshot(transformerId: string): Promise<OutageSnapshot> {
    const res = await this.redis
      .multi()
      .zrange(this.keys.gasps(transformerId), '0', '-1', 'WITHSCORES')
      .zrange(this.keys.restores(transformerId), '0', '-1', 'WITHSCORES')
      .exec();
    const g = res?.[0]?.[1];
    const r = res?.[1]?.[1];
    return {
      gasps: toHistory(Array.isArray(g) ? (g as string[]) : []),
      restores: toHistory(Array.isArray(r) ? (r as string[]) : []),
    };
  }
}

/**
 * Redis keys of the alert engine. Every key carries the one hash tag `{<prefix>}`, so all alert
 * state lives in a single Redis Cluster slot and every transition is one atomic script over several
 * keys. Alerts are control-plane data (a few per transformer-day at most), so one slot is not a
 * hot spot; the high-volume realtime view keeps its per-partition tags.
 *
 *   {al}:active            hash   dedup key → open alert JSON (the active set)
 *   {al}:history           stream one entry per transition: transition=open|clear, alert=JSON (MAXLEN ~)
 *   {al}:outbox            stream transitions not yet produced to Kafka: topic, key, value
 *   {al}:closed:<dedupKey> string cleared_at (ms) of the last cleared alert of that key (TTL = replay horizon)
 *   {al}:expiry            zset   dedup key → event time at which an EVENT alert clears by itself
 *   {al}:cursor            string end (ms) of the last evaluated 15-minute window
 *   {al}:lock:eval         string owner of the window-evaluation lease (PX)
 *   {al}:lock:outbox       string owner of the outbox-drain lease (PX)
 *   {al}:wm                hash   instance id → "<watermark ms>:<reported at ms>"
 *   {al}:og:<transformer>  zset   meter → its latest last gasp (event time)
 *   {al}:rs:<transformer>  zset   meter → its latest restore (event time)
 *   {al}:ogtx              zset   transformer → latest gasp/restore time, or OPEN_OUTAGE_SCORE while a meter is unrestored
 */
import { assertAlertKeyPrefix } from './settings.ts';

/** Score of a transformer in {al}:ogtx while one of its meters has gasped and not restored. */
export const OPEN_OUTAGE_SCORE = 9e15;

export interface AlertKeys {
  readonly tag: string;
  readonly active: string;
  readonly history: string;
  readonly outbox: string;
  readonly expiry: string;
  readonly cursor: string;
  readonly evalLock: string;
  readonly outboxLock: string;
  readonly watermarks: string;
  readonly outageTransformers: string;
  closed(dedupKey: string): string;
  gasps(transformerId: string): string;
  restores(transformerId: string): string;
}

export function alertKeys(prefix: string): AlertKeys {
  const tag = `{${assertAlertKeyPrefix(prefix)}}`;
  return {
    tag,
    active: `${tag}:active`,
    history: `${tag}:history`,
    outbox: `${tag}:outbox`,
    expiry: `${tag}:expiry`,
    cursor: `${tag}:cursor`,
    evalLock: `${tag}:lock:eval`,
    outboxLock: `${tag}:lock:outbox`,
    watermarks: `${tag}:wm`,
    outageTransformers: `${tag}:ogtx`,
    closed: (dedupKey) => `${tag}:closed:${dedupKey}`,
    gasps: (transformerId) => `${tag}:og:${transformerId}`,
    restores: (transformerId) => `${tag}:rs:${transformerId}`,
  };
}

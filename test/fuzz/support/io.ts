/**
 * I/O helpers of the fuzz integration tests: platform processes as children (their logs kept),
 * Prometheus scrapes, producing with known partitions and offsets, reading a whole topic back, and
 * reading archived Parquet objects from S3 through the object cache and DuckDB.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import { openDuckDB, sqlPath, withConnection, type S3ObjectCache } from '@ami/shared/clients';

export interface ChildRun {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** stderr so far (the JSON log lines; the last 4 MB). */
  stderr(): string;
  alive(): boolean;
}

/** Starts `script` (repo-relative) with tsx, as an operator would. */
export function startProcess(name: string, script: string, cwd: string, env: NodeJS.ProcessEnv): ChildRun {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 4_000_000) err = err.slice(-4_000_000);
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    name,
    child,
    exited,
    stderr: () => err,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}

/** Log lines at error level or above (pino: 50 error, 60 fatal) and non-JSON lines (crashes, traces). */
export function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => {
      try {
        const level = (JSON.parse(l) as { level?: number }).level;
        return typeof level !== 'number' || level >= 50;
      } catch {
        return true;
      }
    });
}

/** One sample of a Prometheus text exposition. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\(.)/g, '$1');
    out.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return out;
}

export async function scrape(port: number): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics on ${port}: ${res.status}`);
  return parseMetrics(await res.text());
}

/** Sum of a metric's samples whose labels include `where`. */
export function metricSum(
  samples: readonly Sample[],
  name: string,
  where: Record<string, string> = {},
): number {
  let sum = 0;
  for (const s of samples)
    if (s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  return sum;
}

export interface Produced {
  readonly partition: number;
  readonly offset: string;
}

/**
 * Produces `messages` to `topic` in order, each to the partition given, and returns where each
 * landed. Sends batches of at most 200 messages and 512 KB (a larger message goes alone: the
 * broker bounds a record batch at ~1 MB); offsets within a partition follow the send order.
 */
export async function produceAt(
  producer: Producer,
  topic: string,
  messages: readonly { key: Buffer | null; value: Buffer | null; partition: number }[],
): Promise<Produced[]> {
  const out: Produced[] = [];
  let i = 0;
  while (i < messages.length) {
    let bytes = 0;
    let j = i;
    while (j < messages.length && j - i < 200) {
      const size = (messages[j]?.value?.length ?? 0) + (messages[j]?.key?.length ?? 0);
      if (j > i && bytes + size > 512 * 1024) break;
      bytes += size;
      j++;
    }
    const batch = messages.slice(i, j);
    i = j;
    const meta = await producer.send({
      topic,
      acks: -1,
      messages: batch.map((m) => ({ key: m.key, value: m.value, partition: m.partition })),
    });
    const next = new Map(meta.map((r) => [r.partition, BigInt(r.baseOffset ?? '0')]));
    for (const m of batch) {
      const at = next.get(m.partition);
      if (at === undefined) throw new Error(`no offset for partition ${m.partition}`);
      out.push({ partition: m.partition, offset: at.toString() });
      next.set(m.partition, at + 1n);
    }
  }
  return out;
}

export type TopicMessage = KafkaMessage & { readonly partition: number };

/** Every message of `topic` up to its current end. */
export async function readWholeTopic(kafka: Kafka, topic: string, groupId: string): Promise<TopicMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(
    (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)] as const),
  );
  await admin.disconnect();
  const total = [...ends.values()].reduce((a, b) => a + b, 0n);
  const out: TopicMessage[] = [];
  if (total === 0n) return out;
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 8 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${topic}: read ${out.length} of ${total}`)), 120_000);
    consumer
      .run({
        eachMessage: ({ partition, message }) => {
          if (BigInt(message.offset) < (ends.get(partition) ?? 0n)) out.push({ ...message, partition });
          if (BigInt(out.length) >= total) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return out;
}

/** Every key under `prefix`. */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of listed.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = listed.IsTruncated ? listed.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** `SELECT <select>` over the Parquet objects `keys` (through the S3 object cache and DuckDB). */
export async function queryParquet(
  cache: S3ObjectCache,
  keys: readonly string[],
  select: string,
): Promise<Record<string, unknown>[]> {
  if (keys.length === 0) return [];
  const files = await Promise.all(keys.map((k) => cache.fetch(k)));
  const db = await openDuckDB({ threads: 1 });
  try {
    return await withConnection(db, async (c) => {
      const r = await c.runAndReadAll(
        `SELECT ${select} FROM read_parquet([${files.map(sqlPath).join(', ')}])`,
      );
      return r.getRowObjectsJS();
    });
  } finally {
    db.closeSync();
  }
}

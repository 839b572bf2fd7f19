/**
 * I/O helpers of the fuzz integration tests: platform processes as children (their logs kept),
 * Prometheus scrapes, producing with known partitions and offsets, reading a whole topic back, and
 * reading archived Parquet objects from S3 through the object cache and DuckDB.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  openDuckDB,
  sqlPath,
  topicOffsets,
  withAdmin,
  withConnection,
  type KafkaClients,
  type KafkaProducer,
  type KafkaRecord,
  type S3ObjectCache,
} from '@ami/shared/clients';
import { readTopic } from '../../support/kafka.ts';

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
 * broker bounds a record batch at ~1 MB); each send is one record batch per partition, whose base
 * offset the broker returns, so offsets within a partition follow the send order. A null value is
 * produced as a tombstone (a record without a value), a null key as a record without a key.
 */
export async function produceAt(
  producer: KafkaProducer,
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
    const result = await producer.send({
      messages: batch.map((m) => ({
        topic,
        partition: m.partition,
        ...(m.key === null ? {} : { key: m.key }),
        ...(m.value === null ? {} : { value: m.value }),
      })),
    });
    const next = new Map((result.offsets ?? []).map((r) => [r.partition, r.offset]));
    for (const m of batch) {
      const at = next.get(m.partition);
      if (at === undefined) throw new Error(`no offset for partition ${m.partition}`);
      out.push({ partition: m.partition, offset: at.toString() });
      next.set(m.partition, at + 1n);
    }
  }
  return out;
}

export type TopicMessage = KafkaRecord;

/** Every message of `topic` up to its current end (read in its own consumer group). */
export async function readWholeTopic(
  kafka: KafkaClients,
  topic: string,
  groupId: string,
): Promise<TopicMessage[]> {
  const ranges = await withAdmin(kafka, (admin) => topicOffsets(admin, topic));
  const ends = new Map(ranges.map((p) => [p.partition, p.high] as const));
  const total = ranges.reduce((a, p) => a + Number(p.high - p.low), 0);
  return readTopic(kafka, topic, total, {
    groupId,
    timeoutMs: 120_000,
    consumer: { maxBytes: 8 * 1024 * 1024, maxBytesPerPartition: 8 * 1024 * 1024 },
    accept: (m) => m.offset < (ends.get(m.partition) ?? 0n),
  });
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

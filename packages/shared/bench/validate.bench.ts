/**
 * Message validation throughput: messages/s of validateRead / validateEvent per class of message
 * (valid, and each kind of invalid), on Buffers as they come out of Kafka, single-threaded.
 * Also readVersionKey/s (computed by the speed layer and the archiver for every read).
 *
 *   pnpm exec tsx packages/shared/bench/validate.bench.ts [--quick]
 *
 * Writes bench/results/validate.json (flat: commit, machine, at, figures) and prints a table.
 */
import { writeBenchResult, type Figure } from '../src/bench.ts';
import {
  readVersionKey,
  validateEvent,
  validateRead,
  type ReasonCode,
  type ValidRead,
} from '../src/contracts/index.ts';
import { defaultEventCodeTable } from '../src/domain/index.ts';

const quick = process.argv.includes('--quick');
const RUN_MS = quick ? 300 : 1500;
const WARMUP_MS = quick ? 100 : 400;
const DISTINCT = 10_000;

const NOW_MS = Date.parse('2025-01-16T12:00:00Z');
const TZ = 'Europe/Stockholm';
const ctx = { nowMs: NOW_MS, timeZone: TZ };
const eventCtx = { nowMs: NOW_MS, eventCodes: defaultEventCodeTable };
const DAY0 = Date.parse('2025-01-15T00:00:00Z');

function intervalRead(i: number): Record<string, unknown> {
  const start = DAY0 + (i % 96) * 900_000;
  const delivered = ((i * 7919) % 2000) / 1000;
  const received = i % 5 === 0 ? ((i * 31) % 500) / 1000 : 0;
  return {
    meter_id: `MTR-${String(i).padStart(7, '0')}`,
    service_point_id: `SP-${String(i).padStart(7, '0')}`,
    customer_id: `CUST-${String(i).padStart(7, '0')}`,
    transformer_id: `TX-${String(Math.floor(i / 20)).padStart(5, '0')}`,
    feeder_id: `FDR-${String(Math.floor(i / 1000)).padStart(3, '0')}`,
    read_type: 'INTERVAL',
    interval_start: new Date(start).toISOString().replace('.000Z', 'Z'),
    interval_end: new Date(start + 900_000).toISOString().replace('.000Z', 'Z'),
    consumption_kwh: Math.round((delivered - received) * 1000) / 1000,
    delivered_kwh: delivered,
    received_kwh: received,
    voltage_v: 225 + (i % 100) / 10,
    power_quality_code: 0,
    estimated_flag: i % 50 === 0,
    read_ts: new Date(start + 900_000 + 1000 + (i % 60_000)).toISOString(),
  };
}

function dailyRead(i: number): Record<string, unknown> {
  const midnight = '2025-01-14T23:00:00Z';
  return {
    ...intervalRead(i),
    read_type: 'DAILY',
    interval_start: midnight,
    interval_end: midnight,
    consumption_kwh: 10_000 + i,
    delivered_kwh: 10_100 + i,
    received_kwh: 100,
    voltage_v: null,
    power_quality_code: null,
    read_ts: '2025-01-15T00:10:00Z',
  };
}

interface Case {
  readonly figure: string;
  readonly expect: ReasonCode | 'ok';
  readonly make: (i: number) => string;
  readonly kind: 'read' | 'event';
}

const j = JSON.stringify;
const cases: Case[] = [
  { figure: 'valid_interval_reads_per_s', expect: 'ok', kind: 'read', make: (i) => j(intervalRead(i)) },
  { figure: 'valid_daily_reads_per_s', expect: 'ok', kind: 'read', make: (i) => j(dailyRead(i)) },
  {
    figure: 'message_too_large_per_s',
    expect: 'MESSAGE_TOO_LARGE',
    kind: 'read',
    make: (i) => j({ ...intervalRead(i), junk: 'x'.repeat(20_000) }),
  },
  {
    figure: 'malformed_json_per_s',
    expect: 'MALFORMED_JSON',
    kind: 'read',
    make: (i) => j(intervalRead(i)).slice(0, 200),
  },
  { figure: 'not_an_object_per_s', expect: 'NOT_AN_OBJECT', kind: 'read', make: (i) => j([intervalRead(i)]) },
  {
    figure: 'schema_violation_missing_field_per_s',
    expect: 'SCHEMA_VIOLATION',
    kind: 'read',
    make: (i) => j({ ...intervalRead(i), read_ts: undefined }),
  },
  {
    figure: 'schema_violation_wrong_type_per_s',
    expect: 'SCHEMA_VIOLATION',
    kind: 'read',
    make: (i) => j({ ...intervalRead(i), consumption_kwh: String(i) }),
  },
  {
    figure: 'schema_violation_unknown_read_type_per_s',
    expect: 'SCHEMA_VIOLATION',
    kind: 'read',
    make: (i) => j({ ...intervalRead(i), read_type: 'EVENT' }),
  },
  {
    figure: 'bad_timestamp_per_s',
    expect: 'BAD_TIMESTAMP',
    kind: 'read',
    make: (i) => j({ ...intervalRead(i), interval_start: '2025-01-15T08:15:00' }),
  },
  {
    figure: 'misaligned_interval_per_s',
    expect: 'MISALIGNED_INTERVAL',
    kind: 'read',
    make: (i) =>
      j({ ...intervalRead(i), interval_start: '2025-01-15T08:10:00Z', interval_end: '2025-01-15T08:25:00Z' }),
  },
  {
    figure: 'bad_interval_length_per_s',
    expect: 'BAD_INTERVAL_LENGTH',
    kind: 'read',
    make: (i) => {
      const r = intervalRead(i);
      return j({ ...r, interval_end: r.interval_start });
    },
  },
  {
    figure: 'bad_register_instant_per_s',
    expect: 'BAD_REGISTER_INSTANT',
    kind: 'read',
    make: (i) =>
      j({ ...dailyRead(i), interval_start: '2025-01-15T00:00:00Z', interval_end: '2025-01-15T00:00:00Z' }),
  },
  {
    figure: 'future_timestamp_per_s',
    expect: 'FUTURE_TIMESTAMP',
    kind: 'read',
    make: (i) => j({ ...intervalRead(i), read_ts: '2025-01-17T00:00:00Z' }),
  },
  {
    figure: 'net_mismatch_per_s',
    expect: 'NET_MISMATCH',
    kind: 'read',
    make: (i) => j({ ...intervalRead(i), consumption_kwh: 5 }),
  },
  {
    figure: 'out_of_range_per_s',
    expect: 'OUT_OF_RANGE',
    kind: 'read',
    make: (i) => j({ ...intervalRead(i), voltage_v: 9999 }),
  },
  {
    figure: 'valid_events_per_s',
    expect: 'ok',
    kind: 'event',
    make: (i) =>
      j({
        meter_id: `MTR-${String(i).padStart(7, '0')}`,
        event_code: [3840, 3843, 2048, 1024][i % 4],
        event_desc: 'head-end event',
        event_ts: new Date(DAY0 + i * 1000).toISOString(),
      }),
  },
  {
    figure: 'unknown_event_code_per_s',
    expect: 'UNKNOWN_EVENT_CODE',
    kind: 'event',
    make: (i) =>
      j({
        meter_id: `MTR-${i}`,
        event_code: 5000 + (i % 100),
        event_desc: 'x',
        event_ts: '2025-01-15T08:00:00Z',
      }),
  },
];

function outcome(c: Case, msg: Buffer): ReasonCode | 'ok' {
  const r = c.kind === 'read' ? validateRead(msg, ctx) : validateEvent(msg, eventCtx);
  return r.ok ? 'ok' : r.reason;
}

/** Runs `fn` over the messages round-robin for `ms`; returns operations per second. */
function rate<T>(items: readonly T[], fn: (item: T) => unknown, ms: number): number {
  let n = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let k = 0; k < 1000; k++) {
      if (fn(items[(n + k) % items.length] as T)) sink++;
    }
    n += 1000;
    now = process.hrtime.bigint();
  }
  if (sink < 0) console.log(sink);
  return Math.round((n * 1e9) / Number(now - start));
}

const figures: Record<string, Figure> = { quick };
for (const c of cases) {
  const msgs = Array.from({ length: DISTINCT }, (_, i) => Buffer.from(c.make(i)));
  for (const m of msgs.slice(0, 50)) {
    const got = outcome(c, m);
    if (got !== c.expect)
      throw new Error(`${c.figure}: expected ${c.expect}, got ${got} for ${m.toString().slice(0, 200)}`);
  }
  const fn =
    c.kind === 'read' ? (m: Buffer) => validateRead(m, ctx).ok : (m: Buffer) => validateEvent(m, eventCtx).ok;
  rate(msgs, fn, WARMUP_MS);
  figures[c.figure] = rate(msgs, fn, RUN_MS);
  process.stderr.write(`${c.figure}: ${figures[c.figure]}\n`);
}

// Baseline: JSON.parse alone of the same valid interval reads (the floor of any JSON validator).
const valid = Array.from({ length: DISTINCT }, (_, i) => Buffer.from(j(intervalRead(i))));
rate(valid, (m) => JSON.parse(m.toString('utf8')) !== null, WARMUP_MS);
figures.json_parse_only_per_s = rate(valid, (m) => JSON.parse(m.toString('utf8')) !== null, RUN_MS);

const parsed = valid.map((m) => {
  const r = validateRead(m, ctx);
  if (!r.ok) throw new Error(r.reason);
  return r.read;
});
rate(parsed, (r: ValidRead) => readVersionKey(r).length, WARMUP_MS);
figures.read_version_keys_per_s = rate(parsed, (r: ValidRead) => readVersionKey(r).length, RUN_MS);

writeBenchResult('validate', figures);

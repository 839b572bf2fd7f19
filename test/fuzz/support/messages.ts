/**
 * fast-check generators of head-end messages for the fuzz tests: valid reads and events of a known
 * fleet, and hostile ones — broken JSON, values of the wrong type, missing and unknown fields
 * (`__proto__`, `constructor`), ids with injection strings, control characters, NUL, lone surrogates
 * or invalid UTF-8, non-finite and huge numbers, misaligned / future / ancient / impossible
 * timestamps, deep nesting, duplicated keys, oversized payloads, binary garbage, empty values and
 * tombstones, null / binary / huge keys.
 *
 * Every message says what the contract (SPEC 3, docs/reason-codes.md) expects of it — valid, or the
 * reason codes it may be rejected with — derived from how it was built, never by calling the
 * validators, so the pure property test can check the validators against it. Messages are bytes
 * (Buffer) exactly as they travel on Kafka.
 */
import fc from 'fast-check';
import { ID_PATTERN, type ReasonCode } from '@ami/shared/contracts';
import {
  INTERVAL_MS,
  MIN_INSTANT_MS,
  formatIsoOffset,
  formatIsoUtc,
  localDate,
  localDayBounds,
} from '@ami/shared/time';

/** What the contract says about a message. */
export type Expectation =
  | { readonly kind: 'valid' }
  /** Rejected, with one of these reasons. */
  | { readonly kind: 'rejected'; readonly reasons: readonly ReasonCode[] }
  /** Rejected, reason not predicted (e.g. random bytes). */
  | { readonly kind: 'invalid' }
  /** Either. */
  | { readonly kind: 'any' };

export interface FuzzMessage {
  /** The generator that made it (reported on failure). */
  readonly kind: string;
  readonly key: Buffer | null;
  /** null = a tombstone. */
  readonly value: Buffer | null;
  readonly expect: Expectation;
}

/** A meter of the fleet the valid messages belong to. */
export interface FuzzMeter {
  readonly meter_id: string;
  readonly service_point_id: string;
  readonly customer_id: string;
  readonly transformer_id: string;
  readonly feeder_id: string;
}

export interface FuzzContext {
  /** "Now" of the validators; valid instants are at least a minute before it, future ones ≥ 1 day after. */
  readonly nowMs: number;
  readonly timeZone: string;
  readonly meters: readonly FuzzMeter[];
  /** Codes of the event code table. */
  readonly eventCodes: readonly number[];
  /** AMI_MAX_MESSAGE_BYTES of the validators (default 16 KiB). */
  readonly maxMessageBytes: number;
}

const VALID: Expectation = { kind: 'valid' };
const INVALID: Expectation = { kind: 'invalid' };
const rejected = (...reasons: ReasonCode[]): Expectation => ({ kind: 'rejected', reasons });

const MIN_PLAUSIBLE_MS = Date.UTC(2000, 0, 1);
const ID_RE = new RegExp(ID_PATTERN);
const READ_ID_FIELDS = [
  'meter_id',
  'service_point_id',
  'customer_id',
  'transformer_id',
  'feeder_id',
] as const;
const READ_INSTANT_FIELDS = ['interval_start', 'interval_end', 'read_ts'] as const;
const READ_ENERGY_FIELDS = ['consumption_kwh', 'delivered_kwh', 'received_kwh'] as const;
const READ_FIELDS: readonly string[] = [
  ...READ_ID_FIELDS,
  'read_type',
  ...READ_INSTANT_FIELDS,
  ...READ_ENERGY_FIELDS,
  'voltage_v',
  'power_quality_code',
  'estimated_flag',
];

/** A JSON object as ordered (name, raw JSON text of the value) pairs, so that raw edits are possible. */
type Entries = readonly (readonly [string, string])[];

const entriesOf = (o: object): Entries => Object.entries(o).map(([k, v]) => [k, JSON.stringify(v)] as const);
const textOf = (e: Entries): string => `{${e.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
const setRaw = (e: Entries, name: string, raw: string): Entries =>
  e.map(([k, v]) => (k === name ? ([k, raw] as const) : ([k, v] as const)));
const withoutField = (e: Entries, name: string): Entries => e.filter(([k]) => k !== name);
const rawOf = (e: Entries, name: string): string => e.find(([k]) => k === name)?.[1] ?? 'null';

// ---------------------------------------------------------------------------------------------------
// building blocks

/** Strings aimed at whatever a id, key or text may end up in: SQL, shells, Lua, Redis, S3, paths, logs. */
export const INJECTION_STRINGS: readonly string[] = [
  "' OR 1=1 --",
  "'; DROP TABLE reads; --",
  '"; DROP TABLE reads; --',
  "read_csv('/etc/passwd')",
  "x'); COPY (SELECT 1) TO '/tmp/pwned.csv'; --",
  '$(rm -rf /)',
  '`id`',
  '; cat /etc/passwd',
  '| nc 127.0.0.1 9',
  ']]..redis.call("FLUSHALL")..[[',
  "')) redis.call('FLUSHALL') --",
  '{rv:0}:fence',
  '{tag}',
  '*',
  '?',
  '[a-z]*',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2f',
  'date=2026-01-01/../../x',
  'a\r\nSet-Cookie: x=1',
  'line\nbreak',
  'nul\u0000byte',
  '\u0000',
  '\u202egnp.exe',
  '\ud800',
  '\udfff\ud800',
  '😀'.repeat(3),
  'Ω≈ç√∫',
  'ＭＴＲ－０００００１',
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  '%s%s%s%n',
  '__proto__',
  'constructor',
  ' MTR-000001',
  'MTR-000001 ',
  '',
  '-leading-dash',
  '.hidden',
];

/** Hostile strings that do not match the id pattern. */
const badIdArb: fc.Arbitrary<string> = fc
  .oneof(
    fc.constantFrom(...INJECTION_STRINGS),
    fc.string({ unit: 'binary', minLength: 0, maxLength: 80 }),
    fc.integer({ min: 65, max: 400 }).map((n) => 'M'.repeat(n)),
    fc
      .tuple(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/), fc.integer({ min: 0, max: 0x1f }))
      .chain(([id, c]) =>
        fc.constantFrom(...[String.fromCharCode(c), ...' {}:/=*?\\\'"$`;|<>']).map((x) => id + x),
      ),
  )
  .filter((s) => !ID_RE.test(s));

/** Raw JSON values of each type, for "wrong type" edits. */
const RAW_BY_TYPE = {
  string: ['"x"', '"1.5"', '"true"', '"null"', '""', '"NaN"'],
  number: ['0', '1.5', '-1', '1e3', '123456789012345678901234567890'],
  boolean: ['true', 'false'],
  null: ['null'],
  array: ['[]', '[1]', '["x"]', '[{"a":1}]'],
  object: [
    '{}',
    '{"a":1}',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
  ],
} as const;
type JsonType = keyof typeof RAW_BY_TYPE;

function wrongRawArb(allowed: readonly JsonType[]): fc.Arbitrary<string> {
  const types = (Object.keys(RAW_BY_TYPE) as JsonType[]).filter((t) => !allowed.includes(t));
  return fc.oneof(
    fc.constantFrom(...types).chain((t) => fc.constantFrom(...RAW_BY_TYPE[t])),
    deepRawArb,
  );
}

/** Deeply nested arrays or objects (a few thousand levels, still below the size limit). */
const deepRawArb: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 50, max: 5000 }), fc.boolean())
  .map(([n, arrays]) => (arrays ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n)));

/** Strings that are not ISO-8601 instants with offset (or not even of a plausible length). */
const BAD_INSTANTS: readonly string[] = [
  '2026-03-10T10:00:00',
  '2026-03-10',
  '2026-03-10T10:00Z',
  '2026-03-10 10:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-02-29T00:00:00Z',
  '2026-03-10T24:00:00Z',
  '2026-03-10T23:59:60Z',
  '2026-03-10T10:00:00+25:00',
  '2026-03-10T10:00:00+01:60',
  '2026-03-10T10:00:00+0100',
  '2026-03-10T10:00:00 Z',
  '2026-13-01T00:00:00Z',
  '2026-00-10T00:00:00Z',
  '2026-03-10T10:00:00.1234567890Z',
  '2026-03-10T10:00:00.Z',
  '+02026-03-10T10:00:00Z',
  '-2026-03-10T10:00:00Z',
  '１７４１６００８００',
  '２０２６-03-10T10:00:00Z',
  '2026-03-10T10:00:00Z\u0000',
  '\u00002026-03-10T10:00:00Z',
  ' 2026-03-10T10:00:00Z',
  '2026-03-10T10:00:00Z ',
  '1741600800000',
  '1741600800',
  'now',
  'null',
  'Infinity',
  'Tue, 10 Mar 2026 10:00:00 GMT',
  '2026-W11-2T10:00:00Z',
  '2026-069T10:00:00Z',
];

/** An instant string that cannot be valid: the fixed list, or random text not shaped like one. */
const badInstantArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...BAD_INSTANTS),
  fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !/^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d/.test(s)),
  fc.integer({ min: 65, max: 300 }).map((n) => '2026-03-10T10:00:00Z'.padEnd(n, '0')),
);

/** SCHEMA_VIOLATION for strings the schema bounds (1–64 chars), else BAD_TIMESTAMP. */
const badInstantReason = (s: string): ReasonCode =>
  s.length === 0 || s.length > 64 ? 'SCHEMA_VIOLATION' : 'BAD_TIMESTAMP';

type InstantForm = 'utc' | 'local' | 'lower';
const instantFormArb = fc.constantFrom<InstantForm>('utc', 'local', 'lower');
function formatInstant(ms: number, form: InstantForm, timeZone: string): string {
  if (form === 'local') return formatIsoOffset(ms, timeZone);
  const utc = formatIsoUtc(ms);
  return form === 'lower' ? utc.replace('T', 't').replace('Z', 'z') : utc;
}

/** Buffers of a message text, with the UTF-8 the producer would send. */
const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

/** MESSAGE_TOO_LARGE is checked first: whatever else a message is, above the limit it is that. */
function finalize(ctx: FuzzContext, m: FuzzMessage): FuzzMessage {
  if (m.value !== null && m.value.length > ctx.maxMessageBytes)
    return { ...m, expect: rejected('MESSAGE_TOO_LARGE') };
  return m;
}

/** Keys of hostile messages: the meter id, none, empty, binary, huge or hostile text. */
function hostileKeyArb(meterId: string): fc.Arbitrary<Buffer | null> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(bytes(meterId)) },
    { weight: 2, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)) },
    { weight: 1, arbitrary: fc.constantFrom(...INJECTION_STRINGS).map(bytes) },
    { weight: 1, arbitrary: fc.integer({ min: 1025, max: 5000 }).map((n) => Buffer.alloc(n, 0x4b)) },
  );
}

// ---------------------------------------------------------------------------------------------------
// reads

interface ReadParts {
  readonly meter: FuzzMeter;
  readonly daily: boolean;
  readonly startMs: number;
  readonly endMs: number;
  readonly readTsMs: number;
  readonly deliveredWh: number;
  readonly receivedWh: number;
  readonly voltage: number | null;
  readonly pqc: number | null;
  readonly estimated: boolean;
  readonly form: InstantForm;
}

/** Parts of a valid read: an INTERVAL of the last two days, or a DAILY register at a recent local midnight. */
function readPartsArb(ctx: FuzzContext): fc.Arbitrary<ReadParts> {
  const lastStart = Math.floor((ctx.nowMs - 30 * 60_000) / INTERVAL_MS) * INTERVAL_MS;
  return fc
    .record({
      meter: fc.constantFrom(...ctx.meters),
      daily: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      back: fc.integer({ min: 0, max: 191 }),
      delayS: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 7200 })),
      deliveredWh: fc.integer({ min: 0, max: 5000 }),
      receivedWh: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
      registerWh: fc.integer({ min: 0, max: 100_000_000 }),
      voltageCv: fc.integer({ min: 20_000, max: 26_000 }),
      pqc: fc.integer({ min: 0, max: 7 }),
      nullable: fc.boolean(),
      estimated: fc.boolean(),
      form: instantFormArb,
    })
    .map((r) => {
      const intervalStart = lastStart - r.back * INTERVAL_MS;
      const startMs = r.daily
        ? localDayBounds(localDate(intervalStart, ctx.timeZone), ctx.timeZone).startMs
        : intervalStart;
      const endMs = r.daily ? startMs : startMs + INTERVAL_MS;
      const readTsMs = Math.min(endMs + r.delayS * 1000, ctx.nowMs - 60_000);
      return {
        meter: r.meter,
        daily: r.daily,
        startMs,
        endMs,
        readTsMs,
        deliveredWh: r.daily ? r.registerWh : r.deliveredWh,
        receivedWh: r.daily ? Math.floor(r.registerWh / 7) : r.receivedWh,
        voltage: r.daily && r.nullable ? null : r.voltageCv / 100,
        pqc: r.daily && r.nullable ? null : r.pqc,
        estimated: r.estimated,
        form: r.form,
      };
    });
}

/** The read object of `p` (fields in the contract's order). */
function readObject(p: ReadParts, ctx: FuzzContext): Record<string, unknown> {
  const at = (ms: number) => formatInstant(ms, p.form, ctx.timeZone);
  return {
    meter_id: p.meter.meter_id,
    service_point_id: p.meter.service_point_id,
    customer_id: p.meter.customer_id,
    transformer_id: p.meter.transformer_id,
    feeder_id: p.meter.feeder_id,
    read_type: p.daily ? 'DAILY' : 'INTERVAL',
    interval_start: at(p.startMs),
    interval_end: at(p.endMs),
    consumption_kwh: (p.deliveredWh - p.receivedWh) / 1000,
    delivered_kwh: p.deliveredWh / 1000,
    received_kwh: p.receivedWh / 1000,
    voltage_v: p.voltage,
    power_quality_code: p.pqc,
    estimated_flag: p.estimated,
    read_ts: at(p.readTsMs),
  };
}

/** A valid read of the fleet, keyed by its meter id. */
export function validReadArb(ctx: FuzzContext): fc.Arbitrary<FuzzMessage> {
  return readPartsArb(ctx).map((p) => ({
    kind: p.daily ? 'valid-daily' : 'valid-interval',
    key: bytes(p.meter.meter_id),
    value: bytes(JSON.stringify(readObject(p, ctx))),
    expect: VALID,
  }));
}

type Edit = (p: ReadParts, e: Entries) => { kind: string; text: string | Buffer; expect: Expectation };

/** One hostile edit of a valid read: an arbitrary of functions from the valid read to the message. */
function readEditArb(ctx: FuzzContext): fc.Arbitrary<Edit> {
  const at = (ms: number, p: ReadParts) => JSON.stringify(formatInstant(ms, p.form, ctx.timeZone));
  const edit = (
    kind: string,
    f: (p: ReadParts, e: Entries) => { text: string | Buffer; expect: Expectation },
  ) => ((p: ReadParts, e: Entries) => ({ kind, ...f(p, e) })) as Edit;
  const fieldArb = fc.constantFrom(
    ...READ_ID_FIELDS,
    'read_type',
    ...READ_INSTANT_FIELDS,
    ...READ_ENERGY_FIELDS,
    'voltage_v',
    'power_quality_code',
    'estimated_flag',
  );
  const allowedTypes = (field: string, daily: boolean): JsonType[] => {
    if ((READ_ENERGY_FIELDS as readonly string[]).includes(field)) return ['number'];
    if (field === 'voltage_v' || field === 'power_quality_code')
      return daily ? ['number', 'null'] : ['number'];
    if (field === 'estimated_flag') return ['boolean'];
    return ['string'];
  };
  const garbage: readonly ((t: string) => string)[] = [
    (t) => `${t.slice(0, -1)},}`,
    (t) => t.replaceAll('"', "'"),
    (t) => `\uFEFF${t}`,
    (t) => `${t}x`,
    (t) => `${t}}`,
    (t) => `${t}{}`,
    (t) => `${t}\u0000`,
    (t) => t.replace(':', ':/*c*/'),
    (t) => t.replace(/"consumption_kwh":[^,]*/, '"consumption_kwh":NaN'),
    (t) => t.replace(/"delivered_kwh":[^,]*/, '"delivered_kwh":Infinity'),
    (t) => t.replace(/"received_kwh":[^,]*/, '"received_kwh":-Infinity'),
    (t) => t.replace(/"power_quality_code":[^,]*/, '"power_quality_code":0x10'),
    (t) => t.replace(/"delivered_kwh":[^,]*/, '"delivered_kwh":+1'),
    (t) => t.replace(/"delivered_kwh":[^,]*/, '"delivered_kwh":.5'),
    (t) => t.replace(/"delivered_kwh":[^,]*/, '"delivered_kwh":1.'),
    (t) => t.replace(/"delivered_kwh":[^,]*/, '"delivered_kwh":01'),
    (t) => t.replace(/"estimated_flag":[^,]*/, '"estimated_flag":undefined'),
    (t) => t.replace(/"estimated_flag":[^,]*/, '"estimated_flag":True'),
    (t) => t.replace('"meter_id":"', '"meter_id":"\\x41'),
    (t) => t.replace('"meter_id":"', '"meter_id":"\\u12G4'),
    (t) => t.replace('"meter_id":"', '"meter_id":"\u0001'),
    (t) => t.replace('"meter_id":"', '"meter_id":"\n'),
    (t) => t.replace(/"meter_id":"[^"]*"/, '"meter_id":"unterminated'),
    (t) => t.replace('{', '{{'),
    (t) => t.replace('{', '['),
  ];
  return fc.oneof(
    // broken JSON
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map((f) =>
      edit('truncated-json', (_p, e) => {
        const t = textOf(e);
        return { text: t.slice(0, Math.floor(f * t.length)), expect: rejected('MALFORMED_JSON') };
      }),
    ),
    fc
      .constantFrom(...garbage)
      .map((g) =>
        edit('syntax-garbage', (_p, e) => ({ text: g(textOf(e)), expect: rejected('MALFORMED_JSON') })),
      ),
    fc
      .oneof(
        fc.jsonValue().filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)),
        fc.constant(['__read__']),
      )
      .map((v) =>
        edit('not-an-object', (_p, e) => ({
          text: JSON.stringify(v).replace('"__read__"', textOf(e)),
          expect: rejected('NOT_AN_OBJECT'),
        })),
      ),
    deepRawArb.map((raw) =>
      edit('deep-document', () => ({
        text: raw,
        expect: raw.startsWith('[') ? rejected('NOT_AN_OBJECT') : rejected('SCHEMA_VIOLATION'),
      })),
    ),
    // schema
    fieldArb.chain((field) =>
      fc
        .tuple(wrongRawArb(allowedTypes(field, false)), wrongRawArb(allowedTypes(field, true)))
        .map(([wi, wd]) =>
          edit(`wrong-type:${field}`, (p, e) => ({
            text: textOf(setRaw(e, field, p.daily ? wd : wi)),
            expect: rejected('SCHEMA_VIOLATION'),
          })),
        ),
    ),
    fieldArb.map((field) =>
      edit(`missing:${field}`, (_p, e) => ({
        text: textOf(withoutField(e, field)),
        expect: rejected('SCHEMA_VIOLATION'),
      })),
    ),
    fc
      .tuple(
        fc.oneof(
          fc.constantFrom(
            '__proto__',
            'constructor',
            'prototype',
            'toString',
            'valueOf',
            'hasOwnProperty',
            '__defineGetter__',
            '$where',
            '',
            ' meter_id',
            'METER_ID',
            'meter_id\u0000',
          ),
          fc.string({ unit: 'binary', maxLength: 20 }),
        ),
        fc.oneof(fc.constantFrom('{"polluted":true}', 'null', '1', '"x"', '[]'), deepRawArb),
        fc.nat(),
      )
      .filter(([name]) => !READ_FIELDS.includes(name))
      .map(([name, raw, pos]) =>
        edit('extra-field', (_p, e) => {
          const at = pos % (e.length + 1);
          return {
            text: textOf([...e.slice(0, at), [name, raw] as const, ...e.slice(at)]),
            expect: rejected('SCHEMA_VIOLATION'),
          };
        }),
      ),
    fc.tuple(fc.constantFrom(...READ_ID_FIELDS, 'read_type'), badIdArb).map(([field, id]) =>
      edit(`bad-id:${field}`, (_p, e) => ({
        text: textOf(setRaw(e, field, JSON.stringify(id))),
        expect: rejected('SCHEMA_VIOLATION'),
      })),
    ),
    fc
      .tuple(fc.constantFrom(...READ_ID_FIELDS), fc.uint8Array({ minLength: 1, maxLength: 8 }))
      .map(([field, junk]) =>
        edit(`invalid-utf8:${field}`, (_p, e) => {
          const [before, after] = textOf(setRaw(e, field, '"MTR-@@"')).split('@@') as [string, string];
          // 0xff never occurs in UTF-8: decoding gives U+FFFD, which no id may contain
          // (the junk may hold a quote, backslash or control byte: then it is not JSON)
          return {
            text: Buffer.concat([bytes(before), Buffer.from(junk), Buffer.from([0xff]), bytes(after)]),
            expect: rejected('SCHEMA_VIOLATION', 'MALFORMED_JSON'),
          };
        }),
      ),
    fc
      .tuple(
        fc.constantFrom(...READ_ENERGY_FIELDS, 'voltage_v', 'power_quality_code'),
        fc.constantFrom('1e400', '-1e400', '1e999', '-1E309'),
      )
      .map(([field, raw]) =>
        edit(`non-finite:${field}`, (_p, e) => ({
          text: textOf(setRaw(e, field, raw)),
          expect: rejected('SCHEMA_VIOLATION'),
        })),
      ),
    fc.constantFrom('1.5', '-1', '2147483648', '1e10', '-0.5').map((raw) =>
      edit('bad-power-quality-code', (_p, e) => ({
        text: textOf(setRaw(e, 'power_quality_code', raw)),
        expect: rejected('SCHEMA_VIOLATION'),
      })),
    ),
    // edge values that are valid
    fc.constantFrom('-0', '0.0', '0e5', '5e-324', '-5e-324').map((raw) =>
      edit('zero-encodings', (_p, e) => ({
        text: textOf(
          setRaw(
            setRaw(setRaw(e, 'consumption_kwh', raw), 'delivered_kwh', raw.replace(/^-/, '')),
            'received_kwh',
            raw.replace(/^-/, ''),
          ),
        ),
        expect: VALID,
      })),
    ),
    fc.constant(
      edit('max-power-quality-code', (_p, e) => ({
        text: textOf(setRaw(e, 'power_quality_code', '2147483647')),
        expect: VALID,
      })),
    ),
    // timestamps
    fc.tuple(fc.constantFrom(...READ_INSTANT_FIELDS), badInstantArb).map(([field, s]) =>
      edit(`bad-timestamp:${field}`, (_p, e) => ({
        text: textOf(setRaw(e, field, JSON.stringify(s))),
        expect: rejected(badInstantReason(s)),
      })),
    ),
    fc.tuple(fc.integer({ min: 1, max: INTERVAL_MS - 1 }), fc.boolean()).map(([delta, wholeSeconds]) =>
      edit('misaligned', (p, e) => {
        if (p.daily) return { text: textOf(e), expect: VALID };
        const d = wholeSeconds ? Math.max(1000, Math.floor(delta / 1000) * 1000) : delta;
        const s = p.startMs - INTERVAL_MS + d;
        return {
          text: textOf(setRaw(setRaw(e, 'interval_start', at(s, p)), 'interval_end', at(s + INTERVAL_MS, p))),
          expect: rejected('MISALIGNED_INTERVAL'),
        };
      }),
    ),
    fc.constantFrom(0, 1, -INTERVAL_MS, 14 * 60_000, 16 * 60_000, 2 * INTERVAL_MS, 86_400_000).map((len) =>
      edit('bad-interval-length', (p, e) => {
        if (p.daily)
          return {
            text: textOf(setRaw(e, 'interval_end', at(p.startMs + Math.max(1, Math.abs(len)), p))),
            expect: rejected('BAD_REGISTER_INSTANT'),
          };
        return {
          text: textOf(setRaw(e, 'interval_end', at(p.startMs + len, p))),
          expect: rejected('BAD_INTERVAL_LENGTH'),
        };
      }),
    ),
    // fewer quarter-hours than the shortest (DST) day has, so never the previous midnight
    fc.integer({ min: 1, max: 88 }).map((k) =>
      edit('register-not-midnight', (p, e) => {
        if (!p.daily) return { text: textOf(e), expect: VALID };
        const s = p.startMs - k * INTERVAL_MS;
        return {
          text: textOf(
            setRaw(
              setRaw(setRaw(e, 'interval_start', at(s, p)), 'interval_end', at(s, p)),
              'read_ts',
              at(s + 60_000, p),
            ),
          ),
          expect: rejected('BAD_REGISTER_INSTANT'),
        };
      }),
    ),
    // at least two days ahead, so that even the local midnight before the instant is in the future
    fc.tuple(fc.integer({ min: 192, max: 96 * 365 * 80 }), fc.boolean()).map(([ahead, onlyReadTs]) =>
      edit('future', (p, e) => {
        if (onlyReadTs)
          return {
            text: textOf(setRaw(e, 'read_ts', at(ctx.nowMs + ahead * INTERVAL_MS, p))),
            expect: rejected('FUTURE_TIMESTAMP'),
          };
        const s = Math.floor(ctx.nowMs / INTERVAL_MS) * INTERVAL_MS + ahead * INTERVAL_MS;
        const start = p.daily ? localDayBounds(localDate(s, ctx.timeZone), ctx.timeZone).startMs : s;
        const end = p.daily ? start : start + INTERVAL_MS;
        return {
          text: textOf(
            setRaw(
              setRaw(setRaw(e, 'interval_start', at(start, p)), 'interval_end', at(end, p)),
              'read_ts',
              at(end, p),
            ),
          ),
          expect: rejected('FUTURE_TIMESTAMP'),
        };
      }),
    ),
    fc.constantFrom('9999-12-31T23:45:00Z', '9999-12-31T23:45:00-23:45').map((s) =>
      edit('year-9999', (p, e) => ({
        text: textOf(
          setRaw(
            setRaw(setRaw(e, 'interval_start', JSON.stringify(s)), 'interval_end', JSON.stringify(s)),
            'read_ts',
            JSON.stringify(s),
          ),
        ),
        expect: rejected(p.daily ? 'BAD_REGISTER_INSTANT' : 'BAD_INTERVAL_LENGTH', 'FUTURE_TIMESTAMP'),
      })),
    ),
    fc
      .tuple(
        fc.integer({
          min: Math.ceil(MIN_INSTANT_MS / INTERVAL_MS) + 96,
          max: MIN_PLAUSIBLE_MS / INTERVAL_MS - 1,
        }),
        fc.boolean(),
      )
      .map(([q, onlyReadTs]) =>
        edit('ancient', (p, e) => {
          const s = q * INTERVAL_MS;
          const iso = JSON.stringify(formatIsoUtc(s));
          if (onlyReadTs)
            return { text: textOf(setRaw(e, 'read_ts', iso)), expect: rejected('OUT_OF_RANGE') };
          return {
            text: textOf(
              setRaw(
                setRaw(
                  setRaw(e, 'interval_start', iso),
                  'interval_end',
                  p.daily ? iso : JSON.stringify(formatIsoUtc(s + INTERVAL_MS)),
                ),
                'read_ts',
                JSON.stringify(formatIsoUtc(s + INTERVAL_MS)),
              ),
            ),
            expect: rejected('OUT_OF_RANGE'),
          };
        }),
      ),
    fc
      .tuple(
        fc.integer({
          min: MIN_PLAUSIBLE_MS / INTERVAL_MS,
          max: Math.floor((ctx.nowMs - 8 * 86_400_000) / INTERVAL_MS),
        }),
        fc.boolean(),
      )
      .map(([q, lateRead]) =>
        edit('old-but-valid', (p, e) => {
          if (p.daily) return { text: textOf(e), expect: VALID };
          const s = q * INTERVAL_MS;
          const readTs = lateRead ? ctx.nowMs - 3_600_000 : s + INTERVAL_MS + 60_000;
          return {
            text: textOf(
              setRaw(
                setRaw(setRaw(e, 'interval_start', at(s, p)), 'interval_end', at(s + INTERVAL_MS, p)),
                'read_ts',
                at(readTs, p),
              ),
            ),
            expect: VALID,
          };
        }),
      ),
    fc.integer({ min: 1, max: 86_400_000 }).map((early) =>
      edit('read-before-end', (p, e) => ({
        text: textOf(setRaw(e, 'read_ts', at(p.endMs - early, p))),
        expect: rejected('OUT_OF_RANGE'),
      })),
    ),
    // values
    fc
      .tuple(fc.constantFrom('delivered_kwh', 'received_kwh'), fc.integer({ min: 1, max: 1_000_000 }))
      .map(([field, wh]) =>
        edit(`negative:${field}`, (_p, e) => ({
          text: textOf(setRaw(e, field, String(-wh / 1000))),
          expect: rejected('OUT_OF_RANGE'),
        })),
      ),
    fc.tuple(fc.integer({ min: 2, max: 100_000 }), fc.boolean()).map(([wh, up]) =>
      edit('net-mismatch', (p, e) => ({
        text: textOf(
          setRaw(e, 'consumption_kwh', String((p.deliveredWh - p.receivedWh + (up ? wh : -wh)) / 1000)),
        ),
        expect: rejected('NET_MISMATCH'),
      })),
    ),
    fc.constantFrom('1e308', '10000.002', '1e12', '-1e308').map((raw) =>
      edit('over-cap', (p, e) => {
        const big = p.daily ? (raw === '10000.002' ? '1000000000.002' : raw) : raw;
        const text = raw.startsWith('-')
          ? textOf(setRaw(e, 'consumption_kwh', big))
          : textOf(setRaw(setRaw(e, 'delivered_kwh', big), 'consumption_kwh', big));
        return { text, expect: rejected('OUT_OF_RANGE') };
      }),
    ),
    fc.constantFrom('-0.01', '500.01', '1e6', '-1e308').map((raw) =>
      edit('voltage-out-of-band', (_p, e) => ({
        text: textOf(setRaw(e, 'voltage_v', raw)),
        expect: rejected('OUT_OF_RANGE'),
      })),
    ),
    // size
    fc.integer({ min: ctx.maxMessageBytes - 400, max: ctx.maxMessageBytes * 4 }).map((n) =>
      edit('padded', (_p, e) => {
        const t = textOf(e);
        return {
          text: `${t.slice(0, 1)}${' '.repeat(Math.max(0, n - t.length))}${t.slice(1)}`,
          expect: VALID,
        };
      }),
    ),
    fc
      .tuple(fc.constantFrom(180_000, 300_000, 900_000), fc.constantFrom('\u0001', '"', '\\', 'é', '\u0000'))
      .map(([n, ch]) =>
        edit('oversized-escapes', (_p, e) => {
          // raw control characters make the JSON invalid, but the size check comes first
          const t = textOf(e);
          return {
            text: `${t.slice(0, -1)},"x":"${ch.repeat(Math.floor(n / Buffer.byteLength(ch)))}"}`,
            expect: rejected('MESSAGE_TOO_LARGE'),
          };
        }),
      ),
    fc.integer({ min: 100, max: 9000 }).map((n) =>
      edit('long-id', (_p, e) => ({
        text: textOf(setRaw(e, 'meter_id', JSON.stringify('M'.repeat(n)))),
        expect: rejected('SCHEMA_VIOLATION'),
      })),
    ),
    // duplicated keys: DUPLICATE_KEY, whichever value comes last
    fc.tuple(fieldArb, fc.boolean()).chain(([field, validLast]) =>
      wrongRawArb(allowedTypes(field, true).concat(allowedTypes(field, false))).map((wrong) =>
        edit(`duplicate-key:${field}`, (_p, e) => {
          const valid = rawOf(e, field);
          const first = validLast ? wrong : valid;
          const last = validLast ? valid : wrong;
          return {
            text: textOf([...setRaw(e, field, first), [field, last] as const]),
            expect: rejected('DUPLICATE_KEY'),
          };
        }),
      ),
    ),
  );
}

/** A hostile read: an edit of a valid read of the fleet, or garbage; its key is hostile too. */
export function hostileReadArb(ctx: FuzzContext): fc.Arbitrary<FuzzMessage> {
  const edited = fc.tuple(readPartsArb(ctx), readEditArb(ctx)).chain(([p, f]) => {
    const m = f(p, entriesOf(readObject(p, ctx)));
    return hostileKeyArb(p.meter.meter_id).map((key) =>
      finalize(ctx, {
        kind: `read:${m.kind}`,
        key,
        value: typeof m.text === 'string' ? bytes(m.text) : m.text,
        expect: m.expect,
      }),
    );
  });
  return fc.oneof({ weight: 12, arbitrary: edited }, { weight: 2, arbitrary: garbageArb(ctx, 'read') });
}

/** Binary garbage, empty values, whitespace and tombstones. */
function garbageArb(ctx: FuzzContext, what: string): fc.Arbitrary<FuzzMessage> {
  return fc.oneof(
    fc
      .tuple(fc.uint8Array({ maxLength: 600 }), hostileKeyArb('MTR-000001'))
      .map(([a, key]) =>
        finalize(ctx, { kind: `${what}:binary`, key, value: Buffer.from(a), expect: INVALID }),
      ),
    fc
      .tuple(
        fc.constantFrom<Buffer | null>(null, Buffer.alloc(0), bytes(' '), bytes('\n\t'), bytes('\u0000')),
        hostileKeyArb('MTR-000001'),
      )
      .map(([value, key]) => ({
        kind: `${what}:${value === null ? 'tombstone' : 'empty'}`,
        key,
        value,
        expect: rejected('MALFORMED_JSON'),
      })),
  );
}

// ---------------------------------------------------------------------------------------------------
// events

interface EventParts {
  readonly meter: string;
  readonly code: number;
  readonly desc: string;
  readonly tsMs: number;
  readonly form: InstantForm;
}

/** Free text of event_desc: anything the head-end may send, injection strings included. */
const descArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('POWER_OUTAGE', 'last gasp', ''),
  fc.constantFrom(...INJECTION_STRINGS),
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.integer({ min: 200, max: 256 }).map((n) => 'd'.repeat(n)),
);

function eventPartsArb(ctx: FuzzContext, known: boolean): fc.Arbitrary<EventParts> {
  const meterArb = known
    ? fc.constantFrom(...ctx.meters.map((m) => m.meter_id))
    : fc.oneof(
        fc.constantFrom(...ctx.meters.map((m) => m.meter_id)),
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
      );
  return fc.record({
    meter: meterArb,
    code: fc.constantFrom(...ctx.eventCodes),
    desc: descArb,
    tsMs: fc.integer({ min: ctx.nowMs - 2 * 86_400_000, max: ctx.nowMs - 60_000 }),
    form: instantFormArb,
  });
}

function eventObject(p: EventParts, ctx: FuzzContext): Record<string, unknown> {
  return {
    meter_id: p.meter,
    event_code: p.code,
    event_desc: p.desc,
    event_ts: formatInstant(p.tsMs, p.form, ctx.timeZone),
  };
}

/** A well-formed event is valid unless its description, as received, is longer than the schema's 256 UTF-16 units. */
function eventExpectation(p: EventParts): Expectation {
  // the producer sends UTF-8: a lone surrogate becomes U+FFFD (same length); the schema bounds event_desc to 256 UTF-16 units
  return bytes(p.desc).toString('utf8').length > 256 ? rejected('SCHEMA_VIOLATION') : VALID;
}

/** A valid event (a code of the table, a recent event_ts, any description). */
export function validEventArb(ctx: FuzzContext, knownMeters = true): fc.Arbitrary<FuzzMessage> {
  return eventPartsArb(ctx, knownMeters).map((p) => ({
    kind: 'valid-event',
    key: bytes(p.meter),
    value: bytes(JSON.stringify(eventObject(p, ctx))),
    expect: eventExpectation(p),
  }));
}

/** A hostile event. */
export function hostileEventArb(ctx: FuzzContext): fc.Arbitrary<FuzzMessage> {
  type EventEdit = (p: EventParts, e: Entries) => { kind: string; text: string; expect: Expectation };
  const fields = ['meter_id', 'event_code', 'event_desc', 'event_ts'] as const;
  const allowed = (f: string): JsonType[] => (f === 'event_code' ? ['number'] : ['string']);
  const codeSet = new Set(ctx.eventCodes);
  const edits: fc.Arbitrary<EventEdit> = fc.oneof(
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map((f): EventEdit => (_p, e) => {
      const t = textOf(e);
      return {
        kind: 'truncated-json',
        text: t.slice(0, Math.floor(f * t.length)),
        expect: rejected('MALFORMED_JSON'),
      };
    }),
    fc
      .constantFrom('NaN', 'Infinity', '0x0F00', '+3840', '3840.', '03840')
      .map((raw): EventEdit => (_p, e) => ({
        kind: 'syntax-garbage',
        text: textOf(setRaw(e, 'event_code', raw)),
        expect: rejected('MALFORMED_JSON'),
      })),
    fc
      .jsonValue()
      .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
      .map((v): EventEdit => () => ({
        kind: 'not-an-object',
        text: JSON.stringify(v),
        expect: rejected('NOT_AN_OBJECT'),
      })),
    fc.constantFrom(...fields).chain((f) =>
      wrongRawArb(allowed(f)).map((raw): EventEdit => (_p, e) => ({
        kind: `wrong-type:${f}`,
        text: textOf(setRaw(e, f, raw)),
        expect: rejected('SCHEMA_VIOLATION'),
      })),
    ),
    fc
      .constantFrom('3840.5', '-1', '2147483648', '1e400', '-1e400', '1e10')
      .map((raw): EventEdit => (_p, e) => ({
        kind: 'bad-code-number',
        text: textOf(setRaw(e, 'event_code', raw)),
        expect: rejected('SCHEMA_VIOLATION'),
      })),
    fc.constantFrom(...fields).map((f): EventEdit => (_p, e) => ({
      kind: `missing:${f}`,
      text: textOf(withoutField(e, f)),
      expect: rejected('SCHEMA_VIOLATION'),
    })),
    fc
      .tuple(
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'severity', 'EVENT_CODE'),
        fc.constantFrom('{"polluted":true}', '1', 'null'),
      )
      .map(([name, raw]): EventEdit => (_p, e) => ({
        kind: `extra-field:${name}`,
        text: textOf([[name, raw] as const, ...e]),
        expect: rejected('SCHEMA_VIOLATION'),
      })),
    badIdArb.map((id): EventEdit => (_p, e) => ({
      kind: 'bad-id',
      text: textOf(setRaw(e, 'meter_id', JSON.stringify(id))),
      expect: rejected('SCHEMA_VIOLATION'),
    })),
    fc
      .integer({ min: 0, max: 2_147_483_647 })
      .filter((c) => !codeSet.has(c))
      .map((c): EventEdit => (_p, e) => ({
        kind: 'unknown-code',
        text: textOf(setRaw(e, 'event_code', String(c))),
        expect: rejected('UNKNOWN_EVENT_CODE'),
      })),
    fc.integer({ min: 257, max: 5000 }).map((n): EventEdit => (_p, e) => ({
      kind: 'long-desc',
      text: textOf(setRaw(e, 'event_desc', JSON.stringify('d'.repeat(n)))),
      expect: rejected('SCHEMA_VIOLATION'),
    })),
    badInstantArb.map((s): EventEdit => (_p, e) => ({
      kind: 'bad-timestamp',
      text: textOf(setRaw(e, 'event_ts', JSON.stringify(s))),
      expect: rejected(badInstantReason(s)),
    })),
    fc.integer({ min: 86_400_000, max: 80 * 365 * 86_400_000 }).map((ahead): EventEdit => (p, e) => ({
      kind: 'future',
      text: textOf(
        setRaw(e, 'event_ts', JSON.stringify(formatInstant(ctx.nowMs + ahead, p.form, ctx.timeZone))),
      ),
      expect: rejected('FUTURE_TIMESTAMP'),
    })),
    fc
      .integer({ min: MIN_INSTANT_MS + 86_400_000, max: MIN_PLAUSIBLE_MS - 1 })
      .map((ms): EventEdit => (_p, e) => ({
        kind: 'ancient',
        text: textOf(setRaw(e, 'event_ts', JSON.stringify(formatIsoUtc(ms)))),
        expect: rejected('OUT_OF_RANGE'),
      })),
    fc.constantFrom(180_000, 300_000).map((n): EventEdit => (_p, e) => ({
      kind: 'oversized-escapes',
      // raw (unescaped) control characters: n bytes that JSON-escape to 6n
      text: textOf(setRaw(e, 'event_desc', `"${'\u0001'.repeat(n)}"`)),
      expect: rejected('MESSAGE_TOO_LARGE'),
    })),
    deepRawArb.map((raw): EventEdit => (_p, e) => ({
      kind: 'deep-value',
      text: textOf(setRaw(e, 'event_desc', raw)),
      expect: rejected('SCHEMA_VIOLATION'),
    })),
    fc.tuple(fc.constantFrom(...fields), fc.boolean()).chain(([f, validLast]) =>
      wrongRawArb(allowed(f)).map((wrong): EventEdit => (_p, e) => {
        const valid = rawOf(e, f);
        return {
          kind: `duplicate-key:${f}`,
          text: textOf([...setRaw(e, f, validLast ? wrong : valid), [f, validLast ? valid : wrong] as const]),
          expect: rejected('DUPLICATE_KEY'),
        };
      }),
    ),
  );
  const edited = fc.tuple(eventPartsArb(ctx, false), edits).chain(([p, f]) => {
    const m = f(p, entriesOf(eventObject(p, ctx)));
    return hostileKeyArb(p.meter).map((key) =>
      finalize(ctx, { kind: `event:${m.kind}`, key, value: bytes(m.text), expect: m.expect }),
    );
  });
  return fc.oneof({ weight: 10, arbitrary: edited }, { weight: 2, arbitrary: garbageArb(ctx, 'event') });
}

/** Does a validation result agree with what the message expects? (undefined = yes, else why not) */
export function disagreement(
  m: FuzzMessage,
  result: { ok: true } | { ok: false; reason: string },
): string | undefined {
  const e = m.expect;
  if (e.kind === 'any') return undefined;
  if (e.kind === 'valid') return result.ok ? undefined : `expected valid, got ${result.reason}`;
  if (result.ok)
    return `expected a rejection (${e.kind === 'rejected' ? e.reasons.join('|') : 'any reason'}), got valid`;
  if (e.kind === 'rejected' && !e.reasons.includes(result.reason as ReasonCode))
    return `expected ${e.reasons.join('|')}, got ${result.reason}`;
  return undefined;
}

/** A short printable form of a message for failure reports. */
export function describe(m: FuzzMessage): string {
  const v = m.value === null ? 'null' : JSON.stringify(m.value.toString('utf8').slice(0, 300));
  return `${m.kind} key=${m.key === null ? 'null' : JSON.stringify(m.key.toString('utf8').slice(0, 40))} value(${m.value?.length ?? 0} B)=${v}`;
}

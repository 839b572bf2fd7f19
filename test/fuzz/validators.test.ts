/**
 * Property tests of the message validators (validateRead / validateEvent, @ami/shared/contracts),
 * pure and fast: for hostile and valid messages (support/messages.ts) and for arbitrary bytes they
 * never throw, answer ok or a documented reason code that applies to the message kind, agree with
 * what the contract says of each generated message, are deterministic, never pollute prototypes,
 * and every rejection makes a DLQ / quarantine record that passes its own schema and gives back the
 * original bytes. A valid read satisfies every invariant the speed and batch layers rely on.
 *
 * Seeded (FUZZ_SEED, default in support/seed.ts); fast-check prints the seed and the counterexample.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  REASON_CODES,
  dlqPayloadBytes,
  makeDlqRecord,
  validateDlqRecord,
  validateEvent,
  validateRead,
  type ReadValidationContext,
  type ValidationFailure,
} from '@ami/shared/contracts';
import { defaultEventCodeTable } from '@ami/shared/domain';
import { roundKwhToWh } from '@ami/shared/energy';
import { INTERVAL_MS, localDate, localDayBounds } from '@ami/shared/time';
import {
  describe as describeMessage,
  disagreement,
  hostileEventArb,
  hostileReadArb,
  validEventArb,
  validReadArb,
  type FuzzContext,
  type FuzzMessage,
} from './support/messages.ts';
import { fuzzRuns, fuzzSeed } from './support/seed.ts';

const SEED = fuzzSeed();
const TZ = 'Europe/Stockholm';
/** A fixed, unaligned "now" so every generated case is reproducible from the seed alone. */
const NOW_MS = Date.UTC(2026, 2, 10, 11, 7, 13, 517);

const ctx: FuzzContext = {
  nowMs: NOW_MS,
  timeZone: TZ,
  meters: Array.from({ length: 5 }, (_, i) => ({
    meter_id: `MTR-00000${i + 1}`,
    service_point_id: `SP-00000${i + 1}`,
    customer_id: `CUST-00000${i + 1}`,
    transformer_id: `TX-00${(i % 2) + 1}`,
    feeder_id: 'FDR-001',
  })),
  eventCodes: defaultEventCodeTable.codes.map((c) => c.code),
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
};
const readCtx: ReadValidationContext = { nowMs: NOW_MS, timeZone: TZ };
const eventCtx = { nowMs: NOW_MS, eventCodes: defaultEventCodeTable };

/** Generous: run counts scale with FUZZ_RUNS_SCALE and the machine is shared. */
const TIMEOUT = 120_000;

const params = (runs: number) => ({ seed: SEED, numRuns: fuzzRuns(runs) });

/** Bytes of any shape: raw bytes, any unicode text, any JSON value, any object. */
const anyBytes: fc.Arbitrary<Buffer | string | null> = fc.oneof(
  fc.constant(null),
  fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v) ?? ''),
  fc.object({ maxDepth: 3 }).map((v) => {
    try {
      return JSON.stringify(v) ?? '';
    } catch {
      return '{}';
    }
  }),
);

const readMessages = fc.oneof(
  { weight: 3, arbitrary: hostileReadArb(ctx) },
  { weight: 1, arbitrary: validReadArb(ctx) },
);
const eventMessages = fc.oneof(
  { weight: 3, arbitrary: hostileEventArb(ctx) },
  { weight: 1, arbitrary: validEventArb(ctx, false) },
);

function expectWellFormed(kind: 'read' | 'event', r: { ok: true } | ValidationFailure): void {
  if (r.ok) return;
  const def = REASON_CODES[r.reason];
  expect(def, `unknown reason ${String(r.reason)}`).toBeDefined();
  expect(def.appliesTo as readonly string[]).toContain(kind);
  expect(typeof r.detail).toBe('string');
  if (r.path !== undefined) expect(typeof r.path).toBe('string');
}

function expectDlqRoundTrip(
  m: { key: Buffer | string | null; value: Buffer | string | null },
  f: ValidationFailure,
) {
  for (const stage of ['speed', 'archiver'] as const) {
    const record = makeDlqRecord({
      payload: m.value,
      failure: f,
      stage,
      sourceTopic: 'ami.headend.reads',
      sourcePartition: 2,
      sourceOffset: '9007199254740993',
      key: m.key,
      receivedAtMs: NOW_MS,
    });
    const checked = validateDlqRecord(JSON.parse(JSON.stringify(record)));
    expect(checked.ok ? undefined : checked.detail).toBeUndefined();
    const original =
      m.value === null ? Buffer.alloc(0) : typeof m.value === 'string' ? Buffer.from(m.value) : m.value;
    expect(dlqPayloadBytes(record).equals(original)).toBe(true);
  }
}

describe(`message validators under fuzzing (FUZZ_SEED=${SEED})`, () => {
  it(
    'validateRead never throws and answers ok or a read reason code, for any bytes',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            anyBytes,
            readMessages.map((m) => m.value),
          ),
          (bytes) => {
            expectWellFormed('read', validateRead(bytes, readCtx));
          },
        ),
        params(4000),
      );
    },
    TIMEOUT,
  );

  it(
    'validateEvent never throws and answers ok or an event reason code, for any bytes',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            anyBytes,
            eventMessages.map((m) => m.value),
          ),
          (bytes) => {
            expectWellFormed('event', validateEvent(bytes, eventCtx));
          },
        ),
        params(4000),
      );
    },
    TIMEOUT,
  );

  it(
    'reads: the validator agrees with the contract for every hostile and valid read',
    () => {
      const seen = new Map<string, number>();
      fc.assert(
        fc.property(readMessages, (m: FuzzMessage) => {
          const r = validateRead(m.value, readCtx);
          seen.set(m.kind.split(':')[1] ?? m.kind, 1 + (seen.get(m.kind.split(':')[1] ?? m.kind) ?? 0));
          expect(disagreement(m, r), describeMessage(m)).toBeUndefined();
          // deterministic: the same bytes, the same answer
          expect(validateRead(m.value, readCtx)).toEqual(r);
        }),
        params(6000),
      );
      // the generators reach every edit family (a generator change that drops one fails here)
      expect(seen.size, [...seen.keys()].join(' ')).toBeGreaterThanOrEqual(30);
    },
    TIMEOUT,
  );

  it(
    'events: the validator agrees with the contract for every hostile and valid event',
    () => {
      const seen = new Set<string>();
      fc.assert(
        fc.property(eventMessages, (m: FuzzMessage) => {
          const r = validateEvent(m.value, eventCtx);
          seen.add(m.kind);
          expect(disagreement(m, r), describeMessage(m)).toBeUndefined();
          expect(validateEvent(m.value, eventCtx)).toEqual(r);
        }),
        params(4000),
      );
      expect(seen.size, [...seen].join(' ')).toBeGreaterThanOrEqual(15);
    },
    TIMEOUT,
  );

  it(
    'a valid read satisfies every invariant the speed and batch layers rely on',
    () => {
      fc.assert(
        fc.property(readMessages, (m) => {
          const r = validateRead(m.value, readCtx);
          if (!r.ok) return;
          const v = r.read;
          for (const n of [v.intervalStartMs, v.intervalEndMs, v.readTsMs])
            expect(Number.isSafeInteger(n), describeMessage(m)).toBe(true);
          for (const wh of [v.consumptionWh, v.deliveredWh, v.receivedWh]) {
            expect(Number.isSafeInteger(wh)).toBe(true);
            expect(Object.is(wh, -0)).toBe(false);
          }
          expect(v.consumptionWh).toBe(roundKwhToWh(v.consumption_kwh));
          expect(Math.abs(v.consumptionWh - (v.deliveredWh - v.receivedWh))).toBeLessThanOrEqual(1);
          expect(v.deliveredWh).toBeGreaterThanOrEqual(0);
          expect(v.receivedWh).toBeGreaterThanOrEqual(0);
          expect(v.readTsMs).toBeGreaterThanOrEqual(v.intervalEndMs);
          expect(v.readTsMs).toBeLessThanOrEqual(NOW_MS + 300_000);
          expect(v.intervalStartMs).toBeGreaterThanOrEqual(Date.UTC(2000, 0, 1));
          if (v.read_type === 'INTERVAL') {
            expect(v.intervalStartMs % INTERVAL_MS).toBe(0);
            expect(v.intervalEndMs - v.intervalStartMs).toBe(INTERVAL_MS);
            expect(v.voltage_v).toBeGreaterThanOrEqual(0);
            expect(v.voltage_v).toBeLessThanOrEqual(500);
          } else {
            expect(v.intervalEndMs).toBe(v.intervalStartMs);
            expect(localDayBounds(localDate(v.intervalStartMs, TZ), TZ).startMs).toBe(v.intervalStartMs);
          }
          // nothing but the contract's fields (no __proto__, no extras) reaches the layers
          expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
          expect(Object.keys(v)).not.toContain('__proto__');
        }),
        params(3000),
      );
    },
    TIMEOUT,
  );

  it(
    'every rejection makes a DLQ / quarantine record that passes its schema and keeps the bytes',
    () => {
      fc.assert(
        fc.property(fc.oneof(readMessages, eventMessages), (m) => {
          const r = m.kind.startsWith('event')
            ? validateEvent(m.value, eventCtx)
            : validateRead(m.value, readCtx);
          if (!r.ok) expectDlqRoundTrip(m, r);
        }),
        params(2000),
      );
    },
    TIMEOUT,
  );

  it(
    'no message pollutes Object.prototype',
    () => {
      fc.assert(
        fc.property(fc.oneof(readMessages, eventMessages), (m) => {
          validateRead(m.value, readCtx);
          validateEvent(m.value, eventCtx);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
        }),
        params(1000),
      );
    },
    TIMEOUT,
  );
});

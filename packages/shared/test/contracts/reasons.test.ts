import { describe, expect, it } from 'vitest';
import {
  REASON_CODES,
  REASON_CODE_LIST,
  buildTopologyIndex,
  checkKnownMeter,
  checkMeterPartition,
  reasonCodeTableMarkdown,
  validateEvent,
  validateRead,
  type ReasonCode,
  type ValidationFailure,
} from '../../src/contracts/index.ts';
import { defaultEventCodeTable } from '../../src/domain/index.ts';
import { partitionOfMeter } from '../../src/partitioner.ts';
import { ctx, dailyRead, event, intervalRead, json } from './fixtures.ts';

const eventCtx = { nowMs: ctx.nowMs, eventCodes: defaultEventCodeTable };

function failureOf(result: { ok: true } | ValidationFailure): ValidationFailure | undefined {
  return result.ok ? undefined : result;
}

/**
 * One message per reason code. The Record type makes this exhaustive: adding a reason code without
 * an example that produces it fails type-checking.
 */
const examples: Record<ReasonCode, () => ValidationFailure | undefined> = {
  MESSAGE_TOO_LARGE: () => failureOf(validateRead('x'.repeat(100_000), ctx)),
  MALFORMED_JSON: () => failureOf(validateRead('{"meter_id":', ctx)),
  NOT_AN_OBJECT: () => failureOf(validateRead('[]', ctx)),
  DUPLICATE_KEY: () =>
    failureOf(validateRead(json(intervalRead()).replace('}', ',"consumption_kwh":9}'), ctx)),
  SCHEMA_VIOLATION: () => failureOf(validateRead(json(intervalRead({ voltage_v: null })), ctx)),
  BAD_TIMESTAMP: () => failureOf(validateRead(json(intervalRead({ read_ts: '2025-01-15 08:31' })), ctx)),
  MISALIGNED_INTERVAL: () =>
    failureOf(
      validateRead(
        json(intervalRead({ interval_start: '2025-01-15T08:07:00Z', interval_end: '2025-01-15T08:22:00Z' })),
        ctx,
      ),
    ),
  BAD_INTERVAL_LENGTH: () =>
    failureOf(validateRead(json(intervalRead({ interval_end: '2025-01-15T09:15:00Z' })), ctx)),
  BAD_REGISTER_INSTANT: () =>
    failureOf(
      validateRead(
        json(dailyRead({ interval_start: '2025-01-15T00:00:00Z', interval_end: '2025-01-15T00:00:00Z' })),
        ctx,
      ),
    ),
  FUTURE_TIMESTAMP: () =>
    failureOf(validateRead(json(intervalRead({ read_ts: '2030-01-01T00:00:00Z' })), ctx)),
  NET_MISMATCH: () => failureOf(validateRead(json(intervalRead({ consumption_kwh: 1 })), ctx)),
  OUT_OF_RANGE: () => failureOf(validateRead(json(intervalRead({ voltage_v: 10_000 })), ctx)),
  UNKNOWN_EVENT_CODE: () => failureOf(validateEvent(json(event({ event_code: 4242 })), eventCtx)),
  UNKNOWN_METER: () => {
    const r = validateRead(json(intervalRead()), ctx);
    if (!r.ok) return undefined;
    return failureOf(checkKnownMeter(r.read, buildTopologyIndex([])));
  },
  WRONG_PARTITION: () => {
    const owner = partitionOfMeter('MTR-000001', 6);
    return checkMeterPartition('MTR-000001', (owner + 1) % 6, 6);
  },
};

describe('reason codes', () => {
  it.each(REASON_CODE_LIST)('%s is produced by its example message', (code) => {
    const f = examples[code]();
    expect(f?.reason).toBe(code);
    expect(f?.detail).toBeTruthy();
  });

  it('every code is documented with meaning, scope and the SPEC 8 fault that produces it', () => {
    for (const code of REASON_CODE_LIST) {
      const entry = REASON_CODES[code];
      expect(entry.meaning.length).toBeGreaterThan(20);
      expect(entry.producedBy.length).toBeGreaterThan(5);
      expect(entry.appliesTo.length).toBeGreaterThan(0);
    }
  });

  it('renders the table as Markdown with every code and the faults that are not rejections', () => {
    const md = reasonCodeTableMarkdown();
    for (const code of REASON_CODE_LIST) expect(md).toContain(`\`${code}\``);
    expect(md).toContain('spikes');
    expect(md).toContain('VEE');
  });
});

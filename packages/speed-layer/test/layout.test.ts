import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareReadVersions, validateRead, versionDigest } from '@ami/shared/contracts';
import { localDayBounds } from '@ami/shared/time';
import {
  GRID_RECORD_BYTES,
  INTERVAL_SLOTS,
  SLOT_BYTES,
  trailerOffset,
  compareSlotVersions,
  decodeGridDay,
  decodeGridWindows,
  decodeMeterDay,
  meterDayPresence,
  hourSlot,
  hourSlotStartMs,
  mergeGridWindows,
} from '../src/realtime-view/layout.ts';
import { checkLimitsFitLayout, toApplyRead } from '../src/realtime-view/apply-args.ts';
import {
  fenceKey,
  gridDayKey,
  meterDayKey,
  parseAttributionText,
  attributionText,
  partitionTag,
} from '../src/realtime-view/keys.ts';
import { TZ, fleet, readJson } from './support/fleet.ts';

const NOW = Date.UTC(2026, 0, 1);
const meter = fleet(1)[0]!;

function read(startMs: number, over: Partial<{ wh: number; v: number; est: boolean; ts: number }> = {}) {
  const res = validateRead(
    readJson({
      meter,
      startMs,
      deliveredWh: over.wh ?? 1234,
      receivedWh: 0,
      voltage: over.v ?? 231.4,
      estimated: over.est ?? false,
      readTsMs: over.ts ?? startMs + 1_000_000,
    }),
    { nowMs: NOW, timeZone: TZ },
  );
  if (!res.ok || res.read.read_type !== 'INTERVAL') throw new Error('fixture read is invalid');
  return res.read;
}
const grid = { transformerId: 'TR-1', feederId: 'FD-1', substationId: 'SS-1', region: 'REG-1' };
const ctx = { keyPrefix: 'rv', partition: 3, timeZone: TZ };

describe('key layout', () => {
  it('puts every key of a partition under its hash tag', () => {
    expect(partitionTag('rv', 3)).toBe('{rv:3}');
    expect(fenceKey('rv', 3)).toBe('{rv:3}:fence');
    expect(meterDayKey('rv', 3, 'M-1', '2025-03-10')).toBe('{rv:3}:m:M-1:2025-03-10');
    expect(gridDayKey('rv', 0, 'substation', 'SS-1', '2025-03-10')).toBe('{rv:0}:g:s:SS-1:2025-03-10');
    expect(() => partitionTag('r{v', 1)).toThrow(RangeError);
    expect(() => meterDayKey('rv', 1, 'a:b', '2025-03-10')).toThrow(RangeError);
    expect(parseAttributionText(attributionText(grid))).toEqual(grid);
  });
});

describe('toApplyRead', () => {
  it('encodes day size, slot, delay, Wh, centivolts, flag, digest prefix and attribution', () => {
    const { startMs } = localDayBounds('2025-03-10', TZ);
    const r = read(startMs + 5 * 900_000, { wh: 777, v: 229.87, est: true });
    const a = toApplyRead(r, '41', grid, ctx);
    expect(a).toEqual({
      offset: '41',
      meterDayKey: `{rv:3}:m:${meter.meterId}:2025-03-10`,
      date: '2025-03-10',
      daySlots: 96,
      dayPhase: 0,
      slot: 5,
      readDelayMs: 1_000_000,
      wh: 777,
      voltageCv: 22987,
      estimated: 1,
      digestPrefix: Number.parseInt(versionDigest(r).slice(0, 8), 16),
      attribution: 'TR-1|FD-1|SS-1|REG-1',
    });
  });

  it('uses 100 slots on the long DST day and 26 hour slots', () => {
    const { startMs, endMs } = localDayBounds('2025-10-26', TZ);
    const last = toApplyRead(read(endMs - 900_000), '1', grid, ctx);
    expect(last.slot).toBe(99);
    expect(last.daySlots).toBe(100);
    expect(last.slot).toBeLessThan(INTERVAL_SLOTS);
    expect(hourSlot(endMs - 900_000, startMs)).toBe(24);
    expect(hourSlotStartMs(24, startMs)).toBe(endMs - 3_600_000);
  });

  it('reports validation limits the layout cannot hold', () => {
    const base = {
      maxIntervalWh: 1e7,
      maxRegisterWh: 1e12,
      minVoltageV: 0,
      maxVoltageV: 500,
      netToleranceWh: 1,
    };
    expect(checkLimitsFitLayout(base)).toEqual([]);
    expect(checkLimitsFitLayout({ ...base, maxIntervalWh: 3e9, maxVoltageV: 700 })).toHaveLength(2);
  });
});

describe('slot version order', () => {
  it('equals the shared latest-wins order (readVersionKey) for versions of one reading', () => {
    const { startMs } = localDayBounds('2025-03-10', TZ);
    const version = fc.record({
      wh: fc.integer({ min: 0, max: 3 }),
      v: fc.constantFrom(220, 230.5, 241.1),
      est: fc.boolean(),
      ts: fc.integer({ min: 0, max: 2 }).map((d) => startMs + 900_000 + d),
    });
    fc.assert(
      fc.property(version, version, (x, y) => {
        const a = read(startMs, x);
        const b = read(startMs, y);
        const sa = toApplyRead(a, '0', grid, ctx);
        const sb = toApplyRead(b, '0', grid, ctx);
        const slot = Math.sign(
          compareSlotVersions(
            { readDelayMs: sa.readDelayMs, wh: sa.wh, digestPrefix: sa.digestPrefix },
            { readDelayMs: sb.readDelayMs, wh: sb.wh, digestPrefix: sb.digestPrefix },
          ),
        );
        expect(slot).toBe(Math.sign(compareReadVersions(a, b)));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('decoders', () => {
  it('decode an absent meter-day and grid-day as empty', () => {
    const day = decodeMeterDay(null);
    expect(day.dailyWh).toBe(0);
    expect(day.intervals.every((i) => i === undefined)).toBe(true);
    expect(decodeGridDay(null)[0]).toMatchObject({ energyWh: 0, metersReported: 0, voltageMinCv: null });
  });

  it('decode hand-built records', () => {
    const md = Buffer.alloc(trailerOffset(96) + 1 + 11);
    md.writeUInt8(2, 0);
    md.writeUInt8(96, 1);
    md.writeUInt8(0, 2);
    const put = (slot: number, wh: number) => {
      const o = 3 + slot * SLOT_BYTES;
      md.writeUInt8(1 | 2 | (1 << 2), o);
      md.writeUInt32BE(901_000, o + 1);
      md.writeInt32BE(wh, o + 5);
      md.writeUInt16BE(23012, o + 9);
      md.writeUInt32BE(0xdeadbeef, o + 11);
    };
    put(7, -5);
    put(8, 12);
    md.writeUInt8(11, trailerOffset(96));
    md.write('T1|F1|S1|R1', trailerOffset(96) + 1);
    const day = decodeMeterDay(md);
    expect(day.dailyWh).toBe(7);
    expect(day.hourlyWh[1]).toBe(-5);
    expect(day.hourlyWh[2]).toBe(12);
    expect(day.intervals[7]).toEqual({
      index: 7,
      estimated: true,
      readDelayMs: 901_000,
      wh: -5,
      voltageCv: 23012,
      digestPrefix: 0xdeadbeef,
      attribution: { transformerId: 'T1', feederId: 'F1', substationId: 'S1', region: 'R1' },
    });
    // a day starting half an hour past the UTC hour: slot 1 is still in hour slot 0, slot 2 is not
    md.writeUInt8(2, 2);
    expect(decodeMeterDay(md).hourlyWh.slice(0, 4)).toEqual([0, 0, 7, 0]);
    // presence of a few slots without decoding the day, also from a prefix of the string
    const asked = [0, 6, 7, 8, 9, 95, 96, 99];
    const expected = asked.map((i) => decodeMeterDay(md).intervals[i] !== undefined);
    expect(expected.filter(Boolean)).toHaveLength(2);
    expect(meterDayPresence(md, asked)).toEqual(expected);
    expect(meterDayPresence(md.subarray(0, 3 + 9 * SLOT_BYTES), [6, 7, 8])).toEqual([false, true, true]);
    expect(meterDayPresence(md.subarray(0, 3 + 8 * SLOT_BYTES), [7, 8])).toEqual([true, false]);
    expect(meterDayPresence(null, [7])).toEqual([false]);
    md.writeUInt8(1, 0);
    expect(() => decodeMeterDay(md)).toThrow(/format 1/);
    expect(() => meterDayPresence(md, [7])).toThrow(/format 1/);

    const g = Buffer.alloc(100 * GRID_RECORD_BYTES);
    const w = 3 * GRID_RECORD_BYTES;
    g.writeIntBE(-1200, w, 6);
    g.writeUIntBE(2, w + 6, 3);
    g.writeUIntBE(1, w + 9, 3);
    g.writeUIntBE(46000, w + 12, 5);
    g.writeUInt16BE(22001, w + 17);
    g.writeUInt16BE(24001, w + 19);
    const win = decodeGridDay(g)[3]!;
    expect(win).toEqual({
      energyWh: -1200,
      metersReported: 2,
      estimatedCount: 1,
      voltageSumCv: 46000,
      voltageCount: 2,
      voltageMinCv: 22000,
      voltageMaxCv: 24000,
    });
    expect(mergeGridWindows(win, win)).toMatchObject({
      energyWh: -2400,
      metersReported: 4,
      voltageMinCv: 22000,
    });

    // a GETRANGE from window 2 on: the same records, relative to the range's start
    const range = g.subarray(2 * GRID_RECORD_BYTES, 5 * GRID_RECORD_BYTES);
    expect(decodeGridWindows(range, 3)).toEqual(decodeGridDay(g).slice(2, 5));
    // records the buffer does not hold completely are empty
    const cut = decodeGridWindows(g.subarray(2 * GRID_RECORD_BYTES, 4 * GRID_RECORD_BYTES + 20), 3);
    expect(cut[1]).toEqual(win);
    expect(cut[2]).toEqual(decodeGridDay(null)[0]);
    expect(decodeGridWindows(Buffer.alloc(0), 2)).toEqual([decodeGridDay(null)[0], decodeGridDay(null)[0]]);
  });
});

import { describe, expect, it } from 'vitest';
import { M_LOAD_SHAPE, Q_E, Q_X } from '../../src/vee/codes.ts';
import { estimateLoadShape } from '../../src/vee/estimate-load-shape.ts';
import { buildLoadShapes } from '../../src/vee/load-shapes.ts';
import { registerDeltas } from '../../src/vee/registers.ts';
import {
  PROSUMER,
  RESIDENTIAL,
  SPRING,
  WEDNESDAY,
  historyDay,
  placedDay,
  registers,
  values,
} from './support.ts';

// A shape that is 2 for hours 0–11 and 0 for hours 12–23 (mean 1), weekend flat.
const half = Array.from({ length: 24 }, (_, h) => (h < 12 ? 1 : 0));
const flat = new Array<number>(24).fill(1);
const q96 = (f: (q: number) => number) => Array.from({ length: 96 }, (_, q) => f(q));
const stepShape = q96((q) => (q < 48 ? 1 : 0));
const shapes = buildLoadShapes({
  residential: { weekday: stepShape, weekend: flat },
  commercial: { weekday: half, weekend: flat },
  industrial: { weekday: half, weekend: flat },
});
const p = { loadShapes: shapes, loadShapeMinActual: 16, historyDays: 7, minHistoryIntervals: 96 };
const none = registerDeltas(null);

describe('estimateLoadShape', () => {
  it('level from the day: Σ actual / Σ shape over the actual slots', () => {
    // actuals 0..19 = 300 each, shape there = 2 → level 150; gaps 20..95
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i < 20 ? 300 : null)),
    );
    const r = estimateLoadShape(day, RESIDENTIAL, [], none, undefined, p, 96);
    expect(r).toEqual({ filled: 76, levelSource: 'day', levelWh: 150 });
    expect(day.wh[20]).toBe(300);
    expect(day.wh[48]).toBe(0);
    expect(day.quality[48]).toBe(Q_E);
    expect(day.method[48]).toBe(M_LOAD_SHAPE);
  });

  it('level from history when the day has too few actuals', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i < 15 ? 300 : null)),
    );
    // Tuesday history of 100 everywhere: Σwh = 9600, Σshape = 96 → level 100
    const r = estimateLoadShape(
      day,
      RESIDENTIAL,
      [historyDay('2025-03-11', () => 100)],
      none,
      undefined,
      p,
      96,
    );
    expect(r.levelSource).toBe('history');
    expect(r.levelWh).toBe(100);
    expect(day.wh[15]).toBe(200);
  });

  it('level from the register delta when nothing else is known, and the day sums to it', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i < 4 ? 250 : null)),
    );
    const r = estimateLoadShape(day, RESIDENTIAL, [], registerDeltas(registers(10_000)), undefined, p, 96);
    expect(r.levelSource).toBe('register');
    // rest = 9000 over shape Σ = 2 × 44 → level 102.27…; estimates 205 each on slots 4..47
    expect(day.wh[4]).toBe(Math.round((9000 / 88) * 2));
  });

  it('does not apply without any level, nor with a register below the actuals (non-prosumer)', () => {
    const day = placedDay(
      WEDNESDAY,
      values(96, (i) => (i < 4 ? 250 : null)),
    );
    expect(estimateLoadShape(day, RESIDENTIAL, [], none, undefined, p, 96).filled).toBe(0);
    expect(
      estimateLoadShape(day, RESIDENTIAL, [], registerDeltas(registers(900)), undefined, p, 96).filled,
    ).toBe(0);
    expect(day.quality[10]).toBe(Q_X);
  });

  it('a negative level gives 0 for non-prosumers, negatives for prosumers', () => {
    const vals = values(96, (i) => (i < 20 ? -4 : null));
    const d1 = placedDay(WEDNESDAY, vals);
    estimateLoadShape(d1, RESIDENTIAL, [], none, undefined, p, 96);
    expect(d1.wh[30]).toBe(0);
    const d2 = placedDay(WEDNESDAY, vals);
    estimateLoadShape(d2, PROSUMER, [], none, undefined, p, 96);
    expect(d2.wh[30]).toBe(-4);
  });

  it('uses the wall clock on a 92-slot day and the weekend shape on Sunday', () => {
    const day = placedDay(
      SPRING,
      values(92, (i) => (i < 20 ? 100 : null)),
    );
    estimateLoadShape(day, RESIDENTIAL, [], none, undefined, p, 92);
    for (let i = 20; i < 92; i++) expect(day.wh[i]).toBe(100);
  });
});

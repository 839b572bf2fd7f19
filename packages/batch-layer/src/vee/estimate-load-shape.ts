/**
 * Estimation method 4 (last resort), class load shape: a gap slot gets round(level × shape[q]),
 * where shape is the segment's normalised 96-slot shape for the day type (weekday vs
 * weekend/holiday) and q the slot's wall-clock quarter-hour. The meter's level (Wh per average
 * quarter-hour) comes from, in this order:
 *  1. the day itself, when it has ≥ `loadShapeMinActual` actual/edited slots: Σ wh / Σ shape over them;
 *  2. its history (A/M slots of the last `historyDays` days, ≥ `minHistoryIntervals` of them), same ratio;
 *  3. the register delta, when every other slot has a value: (net delta − Σ other slots) / Σ shape
 *     over the gaps (not below 0 unless the meter is a prosumer);
 * else the method does not apply.
 */
import { addLocalDays } from '@ami/shared/time';
import { M_LOAD_SHAPE, Q_E, Q_X } from './codes.ts';
import { dayLayout, dayTypeOf } from './day-layout.ts';
import type { LoadShapes } from './load-shapes.ts';
import { isAnchor, type HistoryDay, type MeterInfo, type VeeDay } from './model.ts';
import type { RegisterDeltas } from './registers.ts';

export interface LoadShapeParams {
  readonly loadShapes: LoadShapes;
  readonly loadShapeMinActual: number;
  readonly historyDays: number;
  readonly minHistoryIntervals: number;
}

export type LevelSource = 'day' | 'history' | 'register';

export interface LoadShapeResult {
  readonly filled: number;
  readonly levelSource: LevelSource | null;
  readonly levelWh: number | null;
}

function shapeFor(shapes: LoadShapes, meter: MeterInfo, date: string, holidays?: ReadonlySet<string>) {
  const s = shapes[meter.segment];
  return dayTypeOf(date, holidays) === 'weekend' ? s.weekend : s.weekday;
}

/** Level from the day's actual/edited slots, or null with too few. */
export function levelFromDay(day: VeeDay, shape: Float64Array, minActual: number): number | null {
  let n = 0;
  let sumWh = 0;
  let sumShape = 0;
  const wq = day.layout.wallQuarter;
  for (let i = 0; i < day.slots; i++) {
    if (!isAnchor(day.quality[i]!)) continue;
    n++;
    sumWh += day.wh[i]!;
    sumShape += shape[wq[i]!]!;
  }
  return n >= minActual && sumShape > 0 ? sumWh / sumShape : null;
}

/** Level from the meter's recent history, or null with too little. */
export function levelFromHistory(
  date: string,
  history: readonly HistoryDay[],
  shapes: LoadShapes,
  meter: MeterInfo,
  timeZone: string,
  p: LoadShapeParams,
  holidays?: ReadonlySet<string>,
): number | null {
  const from = addLocalDays(date, -p.historyDays);
  let n = 0;
  let sumWh = 0;
  let sumShape = 0;
  for (const h of history) {
    if (h.date < from || h.date >= date) continue;
    const shape = shapeFor(shapes, meter, h.date, holidays);
    const wq = dayLayout(h.date, timeZone).wallQuarter;
    const len = Math.min(h.wh.length, wq.length);
    for (let i = 0; i < len; i++) {
      if (!isAnchor(h.quality[i]!)) continue;
      n++;
      sumWh += h.wh[i]!;
      sumShape += shape[wq[i]!]!;
    }
  }
  return n >= p.minHistoryIntervals && sumShape > 0 ? sumWh / sumShape : null;
}

/** Level that makes the gaps [0, limit) carry what the register delta leaves, or null. */
export function levelFromRegister(
  day: VeeDay,
  shape: Float64Array,
  deltas: RegisterDeltas,
  prosumer: boolean,
  limit: number,
): number | null {
  if (deltas.status !== 'ok' || limit < day.slots) return null;
  let rest = deltas.netWh;
  let sumShape = 0;
  const wq = day.layout.wallQuarter;
  for (let i = 0; i < day.slots; i++) {
    if (day.quality[i] === Q_X) sumShape += shape[wq[i]!]!;
    else rest -= day.wh[i]!;
  }
  if (!(sumShape > 0) || (rest < 0 && !prosumer)) return null;
  return rest / sumShape;
}

/** Fills gaps among slots [0, limit). */
export function estimateLoadShape(
  day: VeeDay,
  meter: MeterInfo,
  history: readonly HistoryDay[],
  deltas: RegisterDeltas,
  holidays: ReadonlySet<string> | undefined,
  p: LoadShapeParams,
  limit: number,
): LoadShapeResult {
  let any = false;
  for (let i = 0; i < limit; i++) {
    if (day.quality[i] === Q_X) {
      any = true;
      break;
    }
  }
  if (!any) return { filled: 0, levelSource: null, levelWh: null };
  const { layout } = day;
  const shape = shapeFor(p.loadShapes, meter, layout.date, holidays);
  let source: LevelSource = 'day';
  let level = levelFromDay(day, shape, p.loadShapeMinActual);
  if (level === null) {
    source = 'history';
    level = levelFromHistory(layout.date, history, p.loadShapes, meter, layout.timeZone, p, holidays);
  }
  if (level === null) {
    source = 'register';
    level = levelFromRegister(day, shape, deltas, meter.prosumer, limit);
  }
  if (level === null) return { filled: 0, levelSource: null, levelWh: null };
  if (level < 0 && !meter.prosumer) level = 0;
  let filled = 0;
  const wq = layout.wallQuarter;
  for (let i = 0; i < limit; i++) {
    if (day.quality[i] !== Q_X) continue;
    day.wh[i] = Math.round(level * shape[wq[i]!]!);
    day.quality[i] = Q_E;
    day.method[i] = M_LOAD_SHAPE;
    filled++;
  }
  return { filled, levelSource: source, levelWh: level };
}

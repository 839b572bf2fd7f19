/**
 * Time-of-use calendar (SPEC 6). Default: peak = Monday–Friday 06:00–22:00 local, November–March;
 * everything else off-peak; `flat` tariffs have one bucket. Holidays (local dates) are off-peak all day.
 *
 * An interval belongs to the bucket of its start (SPEC 3.5 attribution), read on the local wall clock
 * of the zone: month, ISO weekday and minute of day of interval_start. On DST days the wall clock
 * decides (the repeated 02:00–03:00 hour of the autumn change is judged twice by the same rule).
 * A window covers [from, to) in minutes of the day; `to` may be '24:00'; windows do not wrap past
 * midnight (write two windows for a night tariff).
 *
 * Configurable with AMI_TOU_CALENDAR_FILE (see config.ts), a JSON file matching TouCalendarSpecSchema.
 */
import { Type, type Static } from '@sinclair/typebox';
import { isValidLocalDate, localParts } from '../time/index.ts';

export const TARIFFS = ['flat', 'tou'] as const;
export const TariffSchema = Type.Union(TARIFFS.map((t) => Type.Literal(t)));
export type Tariff = Static<typeof TariffSchema>;

export const TOU_BUCKETS = ['peak', 'off_peak', 'flat'] as const;
export type TouBucket = (typeof TOU_BUCKETS)[number];

const WallTimeSchema = Type.String({ pattern: '^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$' });

export const TouWindowSpecSchema = Type.Object(
  {
    months: Type.Array(Type.Integer({ minimum: 1, maximum: 12 }), {
      minItems: 1,
      maxItems: 12,
      uniqueItems: true,
    }),
    weekdays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
      minItems: 1,
      maxItems: 7,
      uniqueItems: true,
      description: 'ISO weekdays: 1 = Monday … 7 = Sunday',
    }),
    from: WallTimeSchema,
    to: WallTimeSchema,
  },
  { additionalProperties: false },
);
export type TouWindowSpec = Static<typeof TouWindowSpecSchema>;

export const TouCalendarSpecSchema = Type.Object(
  {
    peak: Type.Array(TouWindowSpecSchema, {
      maxItems: 100,
      description: 'Peak windows; everything else is off-peak',
    }),
    holidays: Type.Array(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }), {
      maxItems: 10_000,
      description: 'Local dates (YYYY-MM-DD) that are off-peak all day',
    }),
  },
  { additionalProperties: false },
);
export type TouCalendarSpec = Static<typeof TouCalendarSpecSchema>;

interface CompiledWindow {
  readonly monthMask: number;
  readonly weekdayMask: number;
  readonly fromMinute: number;
  readonly toMinute: number;
}

/** A validated calendar, ready for touBucketOf. Build with compileTouCalendar. */
export interface TouCalendar {
  readonly spec: TouCalendarSpec;
  readonly windows: readonly CompiledWindow[];
  /** Holidays as year × 10000 + month × 100 + day. */
  readonly holidays: ReadonlySet<number>;
}

export const DEFAULT_TOU_CALENDAR_SPEC: TouCalendarSpec = {
  peak: [{ months: [11, 12, 1, 2, 3], weekdays: [1, 2, 3, 4, 5], from: '06:00', to: '22:00' }],
  holidays: [],
};

function minuteOfDay(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** Validates the semantic rules the schema cannot express; throws an Error naming the problem. */
export function compileTouCalendar(spec: TouCalendarSpec): TouCalendar {
  const windows = spec.peak.map((w, i): CompiledWindow => {
    const fromMinute = minuteOfDay(w.from);
    const toMinute = minuteOfDay(w.to);
    if (!(fromMinute < toMinute)) {
      throw new Error(
        `peak[${i}]: from ${w.from} must be before to ${w.to} (split windows that cross midnight)`,
      );
    }
    return {
      monthMask: w.months.reduce((m, month) => m | (1 << month), 0),
      weekdayMask: w.weekdays.reduce((m, day) => m | (1 << day), 0),
      fromMinute,
      toMinute,
    };
  });
  const holidays = new Set<number>();
  for (const date of spec.holidays) {
    if (!isValidLocalDate(date)) throw new Error(`holiday ${JSON.stringify(date)} is not a calendar date`);
    holidays.add(
      Number(date.slice(0, 4)) * 10_000 + Number(date.slice(5, 7)) * 100 + Number(date.slice(8, 10)),
    );
  }
  return { spec, windows, holidays };
}

export const DEFAULT_TOU_CALENDAR: TouCalendar = compileTouCalendar(DEFAULT_TOU_CALENDAR_SPEC);

/** Buckets a tariff bills in: ['peak', 'off_peak'] for tou, ['flat'] for flat. */
export function touBucketsOf(tariff: Tariff): readonly TouBucket[] {
  return tariff === 'flat' ? ['flat'] : ['peak', 'off_peak'];
}

/** Bucket of the interval starting at `intervalStartMs` for a meter on `tariff`, in zone `timeZone`. */
export function touBucketOf(
  intervalStartMs: number,
  tariff: Tariff,
  calendar: TouCalendar,
  timeZone: string,
): TouBucket {
  if (tariff === 'flat') return 'flat';
  const p = localParts(intervalStartMs, timeZone);
  if (calendar.holidays.size > 0 && calendar.holidays.has(p.year * 10_000 + p.month * 100 + p.day)) {
    return 'off_peak';
  }
  const minute = p.hour * 60 + p.minute;
  const monthBit = 1 << p.month;
  const weekdayBit = 1 << p.weekday;
  for (const w of calendar.windows) {
    if (
      (w.monthMask & monthBit) !== 0 &&
      (w.weekdayMask & weekdayBit) !== 0 &&
      minute >= w.fromMinute &&
      minute < w.toMinute
    ) {
      return 'peak';
    }
  }
  return 'off_peak';
}

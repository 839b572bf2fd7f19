/**
 * Test oracle: wall-clock fields, weekday and UTC offset straight from a fresh Intl.DateTimeFormat
 * (no caching, no code shared with src/time), to check the cached implementation against.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory', // proleptic in Intl; 'iso8601' is Julian before 1582
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      fractionalSecondDigits: 3,
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAYS: Readonly<Record<string, number>> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

export interface ReferenceTime {
  /** 'YYYY-MM-DD' wall-clock date. */
  readonly date: string;
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
  readonly weekday: number;
  /** '+HH:MM' / '-HH:MM' ('+00:00' for GMT); seconds kept when the offset has them ('+00:53:28'). */
  readonly offset: string;
  /** Offset in milliseconds. */
  readonly offsetMs: number;
  /** 'YYYY-MM-DDTHH:MM:SS[.sss]±HH:MM', the expected formatIsoOffset output for whole-minute offsets. */
  readonly iso: string;
}

function parseGmtOffset(gmt: string): number {
  if (gmt === 'GMT') return 0;
  const sign = gmt[3] === '-' ? -1 : 1;
  const [oh = '0', om = '0', os = '0'] = gmt.slice(4).split(':');
  return sign * (Number(oh) * 3_600_000 + Number(om) * 60_000 + Number(os) * 1000);
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** Just the UTC offset in milliseconds (a leaner Intl call than reference()). */
export function referenceOffsetMs(ms: number, timeZone: string): number {
  let f = offsetFormatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    offsetFormatters.set(timeZone, f);
  }
  const gmt = f.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value;
  if (gmt === undefined) throw new Error(`Intl gave no offset for ${ms} in ${timeZone}`);
  return parseGmtOffset(gmt);
}

export function reference(ms: number, timeZone: string): ReferenceTime {
  const parts = new Map<string, string>();
  for (const p of formatter(timeZone).formatToParts(ms)) parts.set(p.type, p.value);
  const get = (type: string): string => {
    const v = parts.get(type);
    if (v === undefined) throw new Error(`Intl gave no ${type} for ${ms} in ${timeZone}`);
    return v;
  };
  const gmt = get('timeZoneName');
  const offset = gmt === 'GMT' ? '+00:00' : gmt.slice(3);
  const offsetMs = parseGmtOffset(gmt);
  const year = Number(get('year'));
  const date = `${String(year).padStart(4, '0')}-${get('month')}-${get('day')}`;
  const millisecond = Number(get('fractionalSecond'));
  const time = `${get('hour')}:${get('minute')}:${get('second')}${millisecond === 0 ? '' : `.${get('fractionalSecond')}`}`;
  return {
    date,
    year,
    month: Number(get('month')),
    day: Number(get('day')),
    hour: Number(get('hour')),
    minute: Number(get('minute')),
    second: Number(get('second')),
    millisecond,
    weekday: WEEKDAYS[get('weekday')] ?? NaN,
    offset,
    offsetMs,
    iso: `${date}T${time}${offset}`,
  };
}

/** Instants of years 2000–2040 (the range of the property tests). */
export const MIN_TEST_MS = Date.UTC(2000, 0, 1);
export const MAX_TEST_MS = Date.UTC(2041, 0, 1) - 1;

export const HOUR = 3_600_000;
export const QUARTER = 900_000;
export const DAY = 86_400_000;

/** Epoch ms of a UTC wall time given as 'YYYY-MM-DDTHH:MM' (test readability). */
export function utc(s: string): number {
  const ms = Date.parse(`${s.length === 10 ? `${s}T00:00` : s}:00Z`);
  if (Number.isNaN(ms)) throw new Error(`bad test instant ${s}`);
  return ms;
}

/**
 * How the dashboard writes numbers and times. Times are shown in the platform's time zone (the
 * `time_zone` of the series responses) once it is known, else in the browser's.
 */

/** A receipt rate (0–1, or null when the feeder's meter count is unknown) as `97.5 %` / `—`. */
export function formatRate(rate) {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)} %`;
}

/** Average power in kW with a precision that suits its size. */
export function formatKw(kw) {
  if (kw === null || kw === undefined) return '—';
  if (kw === 0) return '0 kW';
  const abs = Math.abs(kw);
  return `${abs >= 100 ? kw.toFixed(0) : abs >= 10 ? kw.toFixed(1) : kw.toFixed(2)} kW`;
}

export function formatVolts(v) {
  return v === null || v === undefined ? '—' : `${v.toFixed(1)} V`;
}

const formatters = new Map();

function formatter(timeZone, withDate) {
  const key = `${timeZone ?? ''}|${withDate}`;
  let f = formatters.get(key);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', {
      ...(timeZone ? { timeZone } : {}),
      ...(withDate ? { weekday: 'short', day: '2-digit', month: 'short' } : {}),
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(key, f);
  }
  return f;
}

/** An instant (ms or ISO string) as `14:15`, or `Mon 24 Nov, 14:15` with the date. */
export function formatTime(instant, timeZone, withDate = false) {
  if (instant === null || instant === undefined) return '—';
  const ms = typeof instant === 'number' ? instant : Date.parse(instant);
  if (!Number.isFinite(ms)) return '—';
  return formatter(timeZone, withDate).format(ms);
}

const hourFormatters = new Map();

/** Local hour (0–23) and a day label of an instant in `timeZone` (chart axis ticks). */
export function localHourAndDay(ms, timeZone) {
  let f = hourFormatters.get(timeZone ?? '');
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', {
      ...(timeZone ? { timeZone } : {}),
      hour: '2-digit',
      hourCycle: 'h23',
      weekday: 'short',
      day: '2-digit',
      month: 'short',
    });
    hourFormatters.set(timeZone ?? '', f);
  }
  const parts = f.formatToParts(ms);
  const get = (type) => parts.find((p) => p.type === type)?.value ?? '';
  return { hour: Number(get('hour')), day: `${get('weekday')} ${get('day')} ${get('month')}` };
}

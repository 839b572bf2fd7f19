/**
 * The feeder load chart: GET /v1/grid/feeder/{id}/series drawn as SVG by hand. Authoritative
 * buckets (batch views, before the batch watermark) are a solid line, provisional ones (realtime
 * view) a dashed one; a missing bucket breaks the line; a vertical line marks the watermark.
 * `loadPoints` and `chartSegments` are pure (unit-tested); `renderLoadChart` draws.
 */
import { clear, svg } from './dom.js';
import { formatKw, formatTime, localHourAndDay } from './format.js';

const WIDTH = 900;
const HEIGHT = 260;
const PAD = { left: 64, right: 12, top: 12, bottom: 28 };

/**
 * The series body as points `{startMs, endMs, kw, status, partial}`: kw = average power over the
 * bucket. The provisional bucket that is still filling (it ends after `filledUntilMs`, the end of
 * the realtime view's latest closed window) is averaged over its filled part only, and marked
 * `partial`: dividing its energy by the whole bucket would draw a load drop that is not there.
 */
export function loadPoints(body, filledUntilMs = Number.POSITIVE_INFINITY) {
  return body.points.map((p) => {
    const startMs = Date.parse(p.start);
    const endMs = Date.parse(p.end);
    const partial = p.status === 'provisional' && startMs < filledUntilMs && filledUntilMs < endMs;
    const hours = ((partial ? filledUntilMs : endMs) - startMs) / 3_600_000;
    const kw = p.kwh === null || p.status === 'missing' ? null : p.kwh / hours;
    return { startMs, endMs, kw, status: p.status, partial };
  });
}

/**
 * Runs of adjacent points that have a value and the same status, in order. A provisional run that
 * directly follows an authoritative one starts from that run's last point (`bridge: true`), so the
 * line is continuous and only its style changes at the watermark.
 */
export function chartSegments(points) {
  const runs = [];
  let run = null;
  let prev = null;
  for (const p of points) {
    if (p.kw === null) {
      run = null;
      prev = p;
      continue;
    }
    const adjacent = prev !== null && prev.kw !== null && prev.endMs === p.startMs;
    if (run !== null && adjacent && run.status === p.status) {
      run.points.push(p);
    } else {
      run = { status: p.status, points: [p], bridge: false };
      if (adjacent && prev.status === 'authoritative' && p.status === 'provisional') {
        run.points.unshift(prev);
        run.bridge = true;
      }
      runs.push(run);
    }
    prev = p;
  }
  return runs;
}

/** A round upper bound of the y axis (1, 2, 2.5 or 5 × 10^n) at or above `max`. */
export function niceMax(max) {
  if (!(max > 0)) return 1;
  const mag = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= max) return m * mag;
  return 10 * mag;
}

/**
 * Draws `body` (a grid series response) into `root` (an <svg>); returns the point counts.
 * `filledUntilMs`: see loadPoints.
 */
export function renderLoadChart(root, body, filledUntilMs) {
  clear(root);
  const tz = body.time_zone;
  const points = loadPoints(body, filledUntilMs);
  const fromMs = Date.parse(body.from);
  const toMs = Date.parse(body.to);
  const watermarkMs = body.watermark === null ? null : Date.parse(body.watermark);
  const counts = { authoritative: 0, provisional: 0, missing: 0 };
  for (const p of points) {
    if (p.kw === null) counts.missing++;
    else counts[p.status === 'authoritative' ? 'authoritative' : 'provisional']++;
  }
  root.dataset.pointsAuthoritative = String(counts.authoritative);
  root.dataset.pointsProvisional = String(counts.provisional);
  root.dataset.pointsMissing = String(counts.missing);
  root.dataset.watermark = body.watermark ?? '';
  root.dataset.feeder = body.id;
  root.dataset.from = body.from;
  root.dataset.to = body.to;
  root.dataset.step = body.step;

  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const max = niceMax(Math.max(0, ...points.map((p) => p.kw ?? 0)));
  const min = Math.min(0, ...points.map((p) => p.kw ?? 0));
  const x = (ms) => PAD.left + ((ms - fromMs) / (toMs - fromMs)) * plotW;
  const y = (kw) => PAD.top + plotH - ((kw - min) / (max - min)) * plotH;

  // y grid and labels
  for (let i = 0; i <= 4; i++) {
    const v = min + ((max - min) * i) / 4;
    root.append(svg('line', { class: 'grid', x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v) }));
    root.append(
      svg('text', { class: 'axis', x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, formatKw(v)),
    );
  }
  // x ticks: local midnight (with the day) and noon
  for (let t = Math.ceil(fromMs / 3_600_000) * 3_600_000; t <= toMs; t += 3_600_000) {
    const { hour, day } = localHourAndDay(t, tz);
    if (hour !== 0 && hour !== 12) continue;
    const cls = hour === 0 ? 'grid major' : 'grid';
    root.append(svg('line', { class: cls, x1: x(t), x2: x(t), y1: PAD.top, y2: PAD.top + plotH }));
    root.append(
      svg(
        'text',
        { class: 'axis', x: x(t), y: HEIGHT - 8, 'text-anchor': 'middle' },
        hour === 0 ? day : '12:00',
      ),
    );
  }

  // missing buckets: a faint mark on the time axis
  for (const p of points)
    if (p.kw === null)
      root.append(
        svg('rect', {
          class: 'missing',
          x: x(p.startMs),
          y: PAD.top + plotH - 3,
          width: Math.max(1, x(p.endMs) - x(p.startMs)),
          height: 3,
        }),
      );

  const mid = (p) => (p.startMs + p.endMs) / 2;
  const paths = { authoritative: '', provisional: '' };
  for (const run of chartSegments(points)) {
    const key = run.status === 'authoritative' ? 'authoritative' : 'provisional';
    const d = run.points
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(mid(p)).toFixed(1)},${y(p.kw).toFixed(1)}`)
      .join(' ');
    // a lone point still shows: a zero-length segment drawn with round caps
    paths[key] += run.points.length === 1 ? `${d} l0.01,0 ` : `${d} `;
  }
  for (const key of ['authoritative', 'provisional'])
    root.append(
      svg('path', {
        class: `line ${key}`,
        d: paths[key].trim() || 'M0,0',
        'data-testid': `load-line-${key}`,
        'data-points': counts[key],
        visibility: paths[key] === '' ? 'hidden' : 'visible',
      }),
    );

  if (watermarkMs !== null && watermarkMs >= fromMs && watermarkMs <= toMs) {
    const wx = x(watermarkMs);
    root.append(
      svg('line', {
        class: 'watermark',
        x1: wx,
        x2: wx,
        y1: PAD.top,
        y2: PAD.top + plotH,
        'data-testid': 'watermark-line',
        'data-watermark': body.watermark,
      }),
    );
    root.append(
      svg(
        'text',
        { class: 'axis watermark-label', x: wx + 4, y: PAD.top + 12 },
        `watermark ${formatTime(watermarkMs, tz, true)}`,
      ),
    );
  }
  if (counts.authoritative + counts.provisional === 0)
    root.append(
      svg(
        'text',
        { class: 'empty', x: WIDTH / 2, y: HEIGHT / 2, 'text-anchor': 'middle' },
        'No data in range',
      ),
    );
  return counts;
}

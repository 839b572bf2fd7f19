/**
 * The voltage heat map: GET /v1/realtime/voltage drawn as SVG — one row per transformer, one
 * column per 15-minute window, each cell coloured by the window's average voltage on a scale from
 * the LOW_VOLTAGE limit (blue) through the middle (green) to the HIGH_VOLTAGE limit (red). A cell
 * whose minimum or maximum broke a limit gets a dark outline; a window without reads is grey.
 */
import { clear, svg } from './dom.js';
import { formatTime, formatVolts } from './format.js';

const WIDTH = 600;
const LABEL_W = 84;
const HEADER_H = 18;
const ROW_H = 16;
const GAP = 1;

/** Fill colour of an average voltage `v` between the limits (null: no reads). */
export function voltageColour(v, low, high) {
  if (v === null || v === undefined) return null;
  const t = Math.min(1, Math.max(0, (v - low) / (high - low)));
  // hue 220 (blue) → 120 (green) → 0 (red), darker towards the limits
  const hue = t < 0.5 ? 220 - 200 * t : 240 - 240 * t;
  const light = 52 - Math.abs(t - 0.5) * 16;
  return `hsl(${hue.toFixed(0)}, 70%, ${light.toFixed(0)}%)`;
}

/** Whether a cell's extremes broke a limit (LOW_VOLTAGE / HIGH_VOLTAGE are strict inequalities). */
export function breachesLimits(cell, low, high) {
  return (cell.min !== null && cell.min < low) || (cell.max !== null && cell.max > high);
}

/** Draws `body` into `root` (an <svg>); returns the number of cells that have a voltage. */
export function renderHeatmap(root, body, timeZone) {
  clear(root);
  const { low_v: low, high_v: high } = body.limits;
  const cols = body.windows.length;
  const rows = body.transformers.length;
  const height = HEADER_H + Math.max(1, rows) * ROW_H + 4;
  root.setAttribute('viewBox', `0 0 ${WIDTH} ${height}`);
  root.dataset.feeder = body.feeder_id;
  root.dataset.rows = String(rows);
  root.dataset.windows = String(cols);
  const cellW = (WIDTH - LABEL_W) / Math.max(1, cols);

  body.windows.forEach((w, c) => {
    if (c % 4 !== 0 && c !== cols - 1) return;
    root.append(
      svg(
        'text',
        { class: 'axis', x: LABEL_W + c * cellW + cellW / 2, y: 12, 'text-anchor': 'middle' },
        formatTime(w.start, timeZone),
      ),
    );
  });

  let filled = 0;
  body.transformers.forEach((tx, r) => {
    const y = HEADER_H + r * ROW_H;
    root.append(
      svg(
        'text',
        {
          class: 'axis row-label',
          x: LABEL_W - 6,
          y: y + ROW_H - 4,
          'text-anchor': 'end',
          'data-testid': 'heat-row',
        },
        tx.transformer_id,
      ),
    );
    tx.cells.forEach((cell, c) => {
      const fill = voltageColour(cell.avg, low, high);
      if (fill !== null) filled++;
      const rect = svg('rect', {
        class: `cell${fill === null ? ' empty' : ''}${breachesLimits(cell, low, high) ? ' breach' : ''}`,
        x: LABEL_W + c * cellW + GAP / 2,
        y: y + GAP / 2,
        width: Math.max(1, cellW - GAP),
        height: ROW_H - GAP,
        fill: fill ?? undefined,
        'data-testid': 'heat-cell',
        'data-transformer': tx.transformer_id,
        'data-window': body.windows[c]?.start,
        'data-voltage': cell.avg ?? '',
      });
      rect.append(
        svg(
          'title',
          {},
          `${tx.transformer_id} ${formatTime(body.windows[c]?.start, timeZone, true)}: ` +
            (cell.avg === null
              ? 'no reads'
              : `avg ${formatVolts(cell.avg)}, min ${formatVolts(cell.min)}, max ${formatVolts(cell.max)}, ` +
                `${cell.meters_reported} meters`),
        ),
      );
      root.append(rect);
    });
  });
  root.dataset.cellsWithVoltage = String(filled);
  if (rows === 0)
    root.append(
      svg(
        'text',
        { class: 'empty', x: WIDTH / 2, y: HEADER_H + 12, 'text-anchor': 'middle' },
        body.roster_date === null
          ? 'No published day yet: transformers unknown'
          : 'No transformers on this feeder',
      ),
    );
  return filled;
}

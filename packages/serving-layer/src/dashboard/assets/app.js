/* global document, setTimeout, clearTimeout, AbortController, URLSearchParams */
/**
 * The dashboard page: asks for an API key (URL fragment or form), then keeps four panels and a
 * status strip up to date from the JSON API — receipt rates from /v1/realtime/overview (every
 * 5 s), the selected feeder's load from /v1/grid/feeder/{id}/series and its voltage heat map from
 * /v1/realtime/voltage, the catalog from /v1/catalog, and alerts from /v1/alerts (open ones at
 * start) followed live over /v1/alerts/stream. A 401/403 drops the key and shows the form again.
 */
import { renderAlerts, applyTransition, alertOfEvent } from './alerts.js';
import { apiGet, forgetKey, isKeyProblem, storeKey, takeKey } from './api.js';
import { renderLoadChart } from './chart.js';
import { byTestId, clear, html } from './dom.js';
import { formatKw, formatRate, formatTime, formatVolts } from './format.js';
import { renderHeatmap } from './heatmap.js';
import { followEventStream } from './sse.js';

const REFRESH_MS = { overview: 5_000, voltage: 15_000, series: 60_000, catalog: 30_000 };
const SERIES_DAYS = 3;
const HEATMAP_WINDOWS = 16;
const STEP_MS = { '15m': 900_000, '1h': 3_600_000 };

const state = {
  key: null,
  abort: null,
  timers: new Set(),
  /** AMI_TIMEZONE, from the first series or voltage answer (until then: the browser's zone). */
  timeZone: undefined,
  /** The latest answers, so that everything can be drawn again once the time zone is known. */
  last: { overview: null, catalog: null, voltage: null, updatedAt: null },
  feeder: null,
  feeders: [],
  alerts: [],
};

// ---- key handling -------------------------------------------------------------------------

function showKeyForm(message) {
  byTestId('panels').hidden = true;
  byTestId('forget-key').hidden = true;
  byTestId('key-form').hidden = false;
  byTestId('key-error').textContent = message ?? '';
  byTestId('key-input').focus();
}

function stop() {
  state.abort?.abort();
  state.abort = null;
  for (const t of state.timers) clearTimeout(t);
  state.timers.clear();
}

function rejectKey(err) {
  if (state.key === null) return; // already refused: keep the first reason
  stop();
  forgetKey();
  state.key = null;
  showKeyForm(`The key was refused: ${err.message}`);
}

// ---- status and errors --------------------------------------------------------------------

function showError(where, err) {
  if (isKeyProblem(err)) return rejectKey(err);
  if (err?.name === 'AbortError') return;
  const banner = byTestId('error-banner');
  banner.hidden = false;
  banner.textContent = `${where}: ${err?.message ?? String(err)}`;
}

function renderUpdated() {
  const node = byTestId('status-updated');
  node.textContent = formatTime(state.last.updatedAt, state.timeZone, false);
  node.dataset.updatedAt = new Date(state.last.updatedAt).toISOString();
}

function markUpdated() {
  byTestId('error-banner').hidden = true;
  state.last.updatedAt = Date.now();
  renderUpdated();
}

/** Adopts the platform's time zone and redraws every time shown so far in it. */
function setTimeZone(tz) {
  if (tz === state.timeZone) return;
  state.timeZone = tz;
  if (state.last.overview !== null) renderReceipts(state.last.overview);
  if (state.last.catalog !== null) renderCatalog(state.last.catalog);
  if (state.last.voltage !== null) renderVoltage(state.last.voltage);
  if (state.last.updatedAt !== null) renderUpdated();
  showAlerts();
}

/** Runs `task` now and then every `ms` (never two at once), until stop(). */
function every(ms, task) {
  const signal = state.abort.signal;
  let timer;
  const run = async () => {
    state.timers.delete(timer);
    if (signal.aborted) return;
    try {
      await task();
    } finally {
      if (!signal.aborted) {
        timer = setTimeout(run, ms);
        state.timers.add(timer);
      }
    }
  };
  void run();
}

// ---- panels -------------------------------------------------------------------------------

function fillFeederSelect(feeders) {
  const ids = feeders.map((f) => f.feeder_id);
  if (ids.join('|') === state.feeders.join('|')) return;
  state.feeders = ids;
  const select = byTestId('feeder-select');
  clear(select);
  for (const id of ids) select.append(html('option', { value: id }, id));
  if (state.feeder === null || !ids.includes(state.feeder)) state.feeder = ids[0] ?? null;
  if (state.feeder !== null) select.value = state.feeder;
  void refreshFeederPanels();
}

function renderReceipts(overview) {
  const tbody = byTestId('receipt-table');
  tbody.dataset.windowStart = overview.window_start;
  tbody.dataset.windowEnd = overview.window_end;
  clear(tbody);
  for (const f of overview.feeders) {
    const tr = html('tr', { 'data-testid': 'receipt-row', 'data-feeder': f.feeder_id });
    if (f.feeder_id === state.feeder) tr.classList.add('selected');
    tr.addEventListener('click', () => selectFeeder(f.feeder_id));
    const rateCell = html('td', { class: 'rate' });
    if (f.receipt_rate !== null)
      rateCell.append(html('meter', { min: 0, max: 1, low: 0.8, optimum: 1, value: f.receipt_rate }));
    rateCell.append(
      html(
        'span',
        { 'data-testid': 'receipt-rate', 'data-value': f.receipt_rate ?? '' },
        formatRate(f.receipt_rate),
      ),
    );
    tr.append(
      html('td', { class: 'id' }, f.feeder_id),
      rateCell,
      html(
        'td',
        { class: 'num', 'data-testid': 'receipt-meters' },
        `${f.meters_reported} / ${f.meters_total ?? '?'}`,
      ),
      html('td', { class: 'num', 'data-testid': 'receipt-load' }, formatKw(f.load_kw)),
      html('td', { class: 'num', 'data-testid': 'receipt-alerts' }, String(f.active_alerts)),
    );
    tbody.append(tr);
  }
  byTestId('receipt-window').textContent =
    `window ${formatTime(overview.window_start, state.timeZone)}–${formatTime(overview.window_end, state.timeZone)}`;
  const wm = byTestId('status-watermark');
  wm.textContent = `${formatTime(overview.watermark, state.timeZone, true)} (${overview.watermark_source})`;
  wm.dataset.value = overview.watermark;
  const win = byTestId('status-window');
  win.textContent = `${formatTime(overview.window_start, state.timeZone)}–${formatTime(overview.window_end, state.timeZone)}`;
  win.dataset.value = overview.window_start;
}

async function refreshOverview() {
  try {
    const overview = await apiGet(state.key, '/v1/realtime/overview', state.abort?.signal);
    state.last.overview = overview;
    fillFeederSelect(overview.feeders);
    renderReceipts(overview);
    markUpdated();
  } catch (err) {
    showError('Receipt rates', err);
  }
}

function renderCatalog(c) {
  const version = byTestId('status-catalog-version');
  version.textContent = c.version ?? 'none published';
  version.dataset.value = c.version ?? '';
  const wm = byTestId('status-batch-watermark');
  wm.textContent = c.watermark === null ? '—' : formatTime(c.watermark, state.timeZone, true);
  wm.dataset.value = c.watermark ?? '';
}

async function refreshCatalog() {
  try {
    state.last.catalog = await apiGet(state.key, '/v1/catalog', state.abort?.signal);
    renderCatalog(state.last.catalog);
    markUpdated();
  } catch (err) {
    showError('Catalog', err);
  }
}

async function refreshSeries() {
  const feeder = state.feeder;
  if (feeder === null) return;
  const step = byTestId('step-select').value;
  const stepMs = STEP_MS[step] ?? STEP_MS['1h'];
  const toMs = Math.ceil(Date.now() / stepMs) * stepMs;
  const fromMs = toMs - SERIES_DAYS * 86_400_000;
  const q = new URLSearchParams({
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    step,
  });
  try {
    const body = await apiGet(
      state.key,
      `/v1/grid/feeder/${encodeURIComponent(feeder)}/series?${q}`,
      state.abort?.signal,
    );
    if (feeder !== state.feeder) return;
    const windowEnd = state.last.overview?.window_end;
    renderLoadChart(byTestId('load-chart'), body, windowEnd ? Date.parse(windowEnd) : undefined);
    setTimeZone(body.time_zone);
    markUpdated();
  } catch (err) {
    showError('Feeder load', err);
  }
}

function renderVoltage(body) {
  renderHeatmap(byTestId('voltage-heatmap'), body, state.timeZone);
  const avgs = body.transformers.flatMap((t) => t.cells.map((c) => c.avg)).filter((v) => v !== null);
  const range =
    avgs.length === 0 ? 'no reads' : `${formatVolts(Math.min(...avgs))} – ${formatVolts(Math.max(...avgs))}`;
  byTestId('heatmap-note').textContent = `${body.feeder_id}, last ${body.windows.length} windows: ${range}`;
  byTestId('heatmap-low').textContent = `${body.limits.low_v} V`;
  byTestId('heatmap-high').textContent = `${body.limits.high_v} V`;
}

async function refreshVoltage() {
  const feeder = state.feeder;
  if (feeder === null) return;
  const q = new URLSearchParams({ feeder, windows: String(HEATMAP_WINDOWS) });
  try {
    const body = await apiGet(state.key, `/v1/realtime/voltage?${q}`, state.abort?.signal);
    if (feeder !== state.feeder) return;
    state.last.voltage = body;
    renderVoltage(body);
    setTimeZone(body.time_zone);
    markUpdated();
  } catch (err) {
    showError('Voltage', err);
  }
}

async function refreshFeederPanels() {
  await refreshSeries();
  await refreshVoltage();
}

function selectFeeder(id) {
  state.feeder = id;
  byTestId('feeder-select').value = id;
  for (const tr of byTestId('receipt-table').querySelectorAll('tr'))
    tr.classList.toggle('selected', tr.dataset.feeder === id);
  void refreshFeederPanels();
}

// ---- alerts -------------------------------------------------------------------------------

function showAlerts() {
  renderAlerts(byTestId('alerts-list'), state.alerts, state.timeZone);
  byTestId('alerts-empty').hidden = state.alerts.length > 0;
}

async function startAlerts(signal) {
  try {
    const open = await apiGet(state.key, '/v1/alerts?status=open&limit=100', signal);
    for (const item of open.alerts) state.alerts = applyTransition(state.alerts, item.alert);
    showAlerts();
  } catch (err) {
    showError('Alerts', err);
    if (isKeyProblem(err)) return;
  }
  const conn = byTestId('alerts-connection');
  await followEventStream({
    url: '/v1/alerts/stream',
    key: state.key,
    signal,
    onState: (s) => {
      conn.textContent = s;
      conn.dataset.state = s;
      if (s === 'unauthorized') rejectKey(new Error('the alert stream refused the key'));
    },
    onEvent: (e) => {
      const alert = alertOfEvent(e);
      if (alert === null) return;
      state.alerts = applyTransition(state.alerts, alert);
      showAlerts();
    },
  });
}

// ---- start --------------------------------------------------------------------------------

function start(key) {
  stop();
  state.key = key;
  state.abort = new AbortController();
  byTestId('key-form').hidden = true;
  byTestId('panels').hidden = false;
  byTestId('forget-key').hidden = false;
  every(REFRESH_MS.overview, refreshOverview);
  every(REFRESH_MS.catalog, refreshCatalog);
  every(REFRESH_MS.series, refreshSeries);
  every(REFRESH_MS.voltage, refreshVoltage);
  void startAlerts(state.abort.signal);
}

function init() {
  byTestId('key-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const key = byTestId('key-input').value.trim();
    if (key === '') return;
    byTestId('key-input').value = '';
    storeKey(key);
    start(key);
  });
  byTestId('forget-key').addEventListener('click', () => {
    stop();
    forgetKey();
    state.key = null;
    showKeyForm('');
  });
  byTestId('feeder-select').addEventListener('change', (ev) => selectFeeder(ev.target.value));
  byTestId('step-select').addEventListener('change', () => void refreshSeries());
  const key = takeKey();
  if (key === null) showKeyForm('');
  else start(key);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();

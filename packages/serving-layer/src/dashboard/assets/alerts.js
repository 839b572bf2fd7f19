/**
 * The live alerts panel: the open alerts at start (GET /v1/alerts?status=open), then every
 * transition from the SSE stream. One entry per alert id (a clear replaces its open), newest
 * transition first, at most MAX_ALERTS. `applyTransition` is pure; `renderAlerts` draws.
 */
import { clear, html } from './dom.js';
import { formatTime } from './format.js';

export const MAX_ALERTS = 200;

/** When a transition happened: its clear time, else its open time (ms). */
export function transitionTime(alert) {
  return Date.parse(alert.cleared_at ?? alert.opened_at);
}

/** The list with `alert` added or replaced (by id), newest transition first, capped at `max`. */
export function applyTransition(list, alert, max = MAX_ALERTS) {
  const rest = list.filter((a) => a.id !== alert.id);
  rest.push(alert);
  rest.sort((a, b) => transitionTime(b) - transitionTime(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return rest.slice(0, max);
}

/** The alert carried by one SSE event (`opened` / `cleared` with the alert JSON), or null. */
export function alertOfEvent(e) {
  if (e.event !== 'opened' && e.event !== 'cleared') return null;
  try {
    const alert = JSON.parse(e.data);
    return alert && typeof alert.id === 'string' && typeof alert.opened_at === 'string' ? alert : null;
  } catch {
    return null;
  }
}

export function renderAlerts(ol, list, timeZone) {
  clear(ol);
  for (const a of list) {
    const li = html('li', {
      class: `alert sev-${a.severity.toLowerCase()} ${a.status === 'cleared' ? 'cleared' : 'open'}`,
      'data-testid': 'alert-item',
      'data-alert-id': a.id,
      'data-type': a.type,
      'data-entity-type': a.entity_type,
      'data-entity-id': a.entity_id,
      'data-status': a.status,
      'data-severity': a.severity,
    });
    li.append(
      html('span', { class: 'severity', 'data-testid': 'alert-severity' }, a.severity),
      html('span', { class: 'type', 'data-testid': 'alert-type' }, a.type),
      html('span', { class: 'entity', 'data-testid': 'alert-entity' }, `${a.entity_type} ${a.entity_id}`),
      html(
        'time',
        { datetime: a.cleared_at ?? a.opened_at, 'data-testid': 'alert-time' },
        a.status === 'cleared'
          ? `cleared ${formatTime(a.cleared_at, timeZone, true)}`
          : `opened ${formatTime(a.opened_at, timeZone, true)}`,
      ),
      html('span', { class: 'detail' }, a.detail),
    );
    ol.append(li);
  }
}

/**
 * Building alert records (contracts/alert.ts): deterministic ids, the open record and its cleared
 * form. The id is derived from the dedup key and opened_at (event time), so a replay or a second
 * instance evaluating the same window produces the very same record.
 */
import { alertDedupKey, type Alert } from '@ami/shared/contracts';
import type { AlertEntityType, AlertSource, Severity } from '@ami/shared/domain';
import { formatIsoUtc } from '@ami/shared/time';

export interface OpenSpec {
  readonly type: string;
  readonly source: AlertSource;
  readonly severity: Severity;
  readonly entityType: AlertEntityType;
  readonly entityId: string;
  readonly openedAtMs: number;
  readonly value: number | null;
  readonly detail: string;
  readonly windowStartMs?: number;
  readonly windowEndMs?: number;
  readonly eventCode?: number;
}

/** `<type>:<entity_type>:<entity_id>:<opened_at epoch ms>` — matches AlertSchema's id pattern. */
export function alertId(dedupKey: string, openedAtMs: number): string {
  return `${dedupKey.replaceAll('|', ':')}:${openedAtMs}`;
}

/** The open record. Field order is fixed (id first: the store's compare-and-clear relies on it). */
export function openAlert(spec: OpenSpec): Alert {
  const dedupKey = alertDedupKey({ type: spec.type, entity_type: spec.entityType, entity_id: spec.entityId });
  const alert: Alert = {
    id: alertId(dedupKey, spec.openedAtMs),
    type: spec.type,
    source: spec.source,
    severity: spec.severity,
    entity_type: spec.entityType,
    entity_id: spec.entityId,
    status: 'open',
    opened_at: formatIsoUtc(spec.openedAtMs),
    cleared_at: null,
    value: spec.value,
    detail: spec.detail.slice(0, 1000),
  };
  if (spec.windowStartMs !== undefined) alert.window_start = formatIsoUtc(spec.windowStartMs);
  if (spec.windowEndMs !== undefined) alert.window_end = formatIsoUtc(spec.windowEndMs);
  if (spec.eventCode !== undefined) alert.event_code = spec.eventCode;
  return alert;
}

/** The cleared form of `open` (same id); cleared_at is never before opened_at. */
export function clearedAlert(open: Alert, clearedAtMs: number, openedAtMs: number, why: string): Alert {
  const at = Math.max(clearedAtMs, openedAtMs);
  return {
    ...open,
    status: 'cleared',
    cleared_at: formatIsoUtc(at),
    detail: `${open.detail}; cleared: ${why}`.slice(0, 1000),
  };
}

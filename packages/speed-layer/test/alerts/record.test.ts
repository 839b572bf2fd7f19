import { describe, expect, it } from 'vitest';
import { ConfigError } from '@ami/shared/config';
import { validateAlert } from '@ami/shared/contracts';
import { alertId, clearedAlert, openAlert } from '../../src/alerts/alert-record.ts';
import { buildTransformerRoster } from '../../src/alerts/roster.ts';
import { loadAlertEngineSettings } from '../../src/alerts/settings.ts';
import { alertKeys } from '../../src/alerts/keys.ts';

describe('alert records', () => {
  const spec = {
    type: 'LOW_VOLTAGE',
    source: 'VOLTAGE',
    severity: 'WARNING',
    entityType: 'transformer',
    entityId: 'TX-00001',
    openedAtMs: Date.UTC(2026, 2, 28, 10, 15),
    value: 206.5,
    detail: 'low',
    windowStartMs: Date.UTC(2026, 2, 28, 10, 15),
    windowEndMs: Date.UTC(2026, 2, 28, 10, 30),
  } as const;

  it('have a deterministic id from the dedup key and opened_at, and pass the contract', () => {
    const a = openAlert(spec);
    expect(a.id).toBe(`LOW_VOLTAGE:transformer:TX-00001:${spec.openedAtMs}`);
    expect(openAlert(spec)).toEqual(a);
    expect(Object.keys(a)[0]).toBe('id');
    expect(validateAlert(a).ok).toBe(true);
    expect(a.opened_at).toBe('2026-03-28T10:15:00Z');
    expect(alertId('X|meter|M-1', 5)).toBe('X:meter:M-1:5');
  });

  it('clear to the same id, never before opened_at', () => {
    const a = openAlert(spec);
    const c = clearedAlert(a, spec.openedAtMs + 900_000, spec.openedAtMs, 'fine again');
    expect(c.id).toBe(a.id);
    expect(c.status).toBe('cleared');
    expect(c.cleared_at).toBe('2026-03-28T10:30:00Z');
    expect(validateAlert(c).ok).toBe(true);
    expect(clearedAlert(a, spec.openedAtMs - 5, spec.openedAtMs, 'x').cleared_at).toBe(a.opened_at);
  });
});

describe('transformer roster', () => {
  const row = (meter: string, tx: string, from: string, to: string | null) => ({
    meter_id: meter,
    service_point_id: `SP-${meter}`,
    customer_id: `C-${meter}`,
    transformer_id: tx,
    feeder_id: 'F1',
    substation_id: 'S1',
    region: 'R1',
    segment: 'residential' as const,
    tariff: 'flat' as const,
    prosumer: false,
    valid_from: from,
    valid_to: to,
  });
  const roster = buildTransformerRoster([
    row('M2', 'T1', '2026-01-01T00:00:00Z', null),
    row('M1', 'T1', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'),
    row('M1', 'T2', '2026-02-01T00:00:00Z', null),
    row('M3', 'T1', '2026-03-01T00:00:00Z', null),
  ]);
  it('counts the meters active at an instant', () => {
    expect(roster.transformerIds).toEqual(['T1', 'T2']);
    expect(roster.activeMeters('T1', Date.UTC(2026, 0, 15))).toEqual(['M1', 'M2']);
    expect(roster.activeMeters('T1', Date.UTC(2026, 1, 1))).toEqual(['M2']);
    expect(roster.activeMeters('T1', Date.UTC(2026, 2, 1))).toEqual(['M2', 'M3']);
    expect(roster.activeMeters('T2', Date.UTC(2026, 0, 1))).toEqual([]);
    expect(roster.transformerOf('M1', Date.UTC(2026, 0, 31))).toBe('T1');
    expect(roster.transformerOf('M1', Date.UTC(2026, 1, 1))).toBe('T2');
    expect(roster.transformerOf('M9', Date.UTC(2026, 1, 1))).toBeUndefined();
  });
});

describe('alert settings and keys', () => {
  it('load defaults and reject a bad prefix', () => {
    const s = loadAlertEngineSettings({});
    expect(s.keyPrefix).toBe('al');
    expect(s.eventHoldS).toBe(86_400);
    expect(s.outageClearRestoredPct).toBe(100);
    expect(() => loadAlertEngineSettings({ AMI_ALERT_KEY_PREFIX: 'a b' })).toThrow(ConfigError);
  });
  it('put every key under one hash tag', () => {
    const k = alertKeys('alx');
    const all = [k.active, k.history, k.outbox, k.expiry, k.cursor, k.evalLock, k.outboxLock, k.watermarks];
    all.push(k.outageTransformers, k.closed('A|b|c'), k.gasps('T1'), k.restores('T1'));
    for (const key of all) expect(key.startsWith('{alx}:')).toBe(true);
  });
});

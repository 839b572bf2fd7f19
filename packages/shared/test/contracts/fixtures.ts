/** Test messages: a valid INTERVAL and DAILY read and event, to be varied field by field. */
export const NOW_MS = Date.parse('2025-01-16T12:00:00Z');
export const TZ = 'Europe/Stockholm';
export const ctx = { nowMs: NOW_MS, timeZone: TZ } as const;

export function intervalRead(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    meter_id: 'MTR-000001',
    service_point_id: 'SP-000001',
    customer_id: 'CUST-000001',
    transformer_id: 'TX-0001',
    feeder_id: 'FDR-01',
    read_type: 'INTERVAL',
    interval_start: '2025-01-15T08:15:00Z',
    interval_end: '2025-01-15T08:30:00Z',
    consumption_kwh: 0.25,
    delivered_kwh: 0.3,
    received_kwh: 0.05,
    voltage_v: 231.2,
    power_quality_code: 0,
    estimated_flag: false,
    read_ts: '2025-01-15T08:31:02.123Z',
    ...overrides,
  };
}

/** DAILY register at local midnight of 2025-01-15 in Europe/Stockholm (23:00Z the day before). */
export function dailyRead(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...intervalRead(),
    read_type: 'DAILY',
    interval_start: '2025-01-14T23:00:00Z',
    interval_end: '2025-01-14T23:00:00Z',
    consumption_kwh: 12345.678,
    delivered_kwh: 12400.5,
    received_kwh: 54.822,
    voltage_v: null,
    power_quality_code: null,
    read_ts: '2025-01-15T00:05:00Z',
    ...overrides,
  };
}

export function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    meter_id: 'MTR-000001',
    event_code: 3840,
    event_desc: 'Last gasp',
    event_ts: '2025-01-15T08:31:02Z',
    ...overrides,
  };
}

export function without(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...obj };
  delete copy[key];
  return copy;
}

export const json = (v: unknown): string => JSON.stringify(v);

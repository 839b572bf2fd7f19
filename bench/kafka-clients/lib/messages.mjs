/**
 * Interval reads in the simulator's exact format (packages/simulator/src/encode.ts, SPEC 3.2), keyed
 * by meter id, for the produce measurements: a 50,000-meter fleet, 96 intervals a day.
 */
export function readMessages(n) {
  const keys = new Array(n);
  const values = new Array(n);
  const day = Date.UTC(2026, 5, 1) - 2 * 3600_000;
  for (let i = 0; i < n; i++) {
    const meter = i % 50_000;
    const interval = Math.floor(i / 50_000) % 96;
    const id = `MTR-${String(meter).padStart(7, '0')}`;
    const start = new Date(day + interval * 900_000).toISOString().replace('.000Z', 'Z');
    const end = new Date(day + (interval + 1) * 900_000).toISOString().replace('.000Z', 'Z');
    const wh = (meter * 7 + interval * 13) % 900;
    keys[i] = id;
    values[i] =
      `{"meter_id":"${id}","service_point_id":"SP-${String(meter).padStart(7, '0')}","customer_id":"CU-${String(meter).padStart(7, '0')}",` +
      `"transformer_id":"TX-${String(meter >> 4).padStart(5, '0')}","feeder_id":"FD-${String(meter >> 10).padStart(3, '0')}","read_type":"INTERVAL",` +
      `"interval_start":"${start}","interval_end":"${end}","consumption_kwh":${(wh / 1000).toFixed(3)},` +
      `"delivered_kwh":${(wh / 1000).toFixed(3)},"received_kwh":0.000,"voltage_v":231.4,` +
      `"power_quality_code":0,"estimated_flag":false,"read_ts":"${end}"}`;
  }
  return { keys, values };
}

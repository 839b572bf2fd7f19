/**
 * Message encoding: reads and events as JSON built by hand with the fixed key order of SPEC 3.2/3.3
 * (the same bytes on every run), from strings prepared once per meter and once per interval.
 */
import { formatKwh } from '@ami/shared/energy';
import type { MeterSpec } from './topology.ts';

/** The constant head of a meter's INTERVAL or DAILY read, up to the opening quote of interval_start. */
export function readPrefix(m: MeterSpec, readType: 'INTERVAL' | 'DAILY', meterId = m.meterId): string {
  return (
    `{"meter_id":"${meterId}","service_point_id":"${m.servicePointId}","customer_id":"${m.customerId}",` +
    `"transformer_id":"${m.transformerId}","feeder_id":"${m.feederId}","read_type":"${readType}","interval_start":"`
  );
}

/** An INTERVAL read. Energies are integer Wh, voltage a JSON number text. */
export function intervalRead(
  prefix: string,
  startIso: string,
  endIso: string,
  deliveredWh: number,
  receivedWh: number,
  voltage: string,
  powerQualityCode: number,
  readTs: string,
): string {
  return (
    `${prefix}${startIso}","interval_end":"${endIso}","consumption_kwh":${formatKwh(deliveredWh - receivedWh)},` +
    `"delivered_kwh":${formatKwh(deliveredWh)},"received_kwh":${formatKwh(receivedWh)},"voltage_v":${voltage},` +
    `"power_quality_code":${powerQualityCode},"estimated_flag":false,"read_ts":"${readTs}"}`
  );
}

/** A DAILY register read at a local midnight (interval_start = interval_end), no voltage. */
export function dailyRead(
  prefix: string,
  midnightIso: string,
  deliveredRegisterWh: number,
  receivedRegisterWh: number,
  readTs: string,
): string {
  return (
    `${prefix}${midnightIso}","interval_end":"${midnightIso}",` +
    `"consumption_kwh":${formatKwh(deliveredRegisterWh - receivedRegisterWh)},` +
    `"delivered_kwh":${formatKwh(deliveredRegisterWh)},"received_kwh":${formatKwh(receivedRegisterWh)},` +
    `"voltage_v":null,"power_quality_code":null,"estimated_flag":false,"read_ts":"${readTs}"}`
  );
}

/** A meter event (SPEC 3.3). */
export function eventMessage(meterId: string, code: number, desc: string, eventTs: string): string {
  return `{"meter_id":"${meterId}","event_code":${code},"event_desc":${JSON.stringify(desc)},"event_ts":"${eventTs}"}`;
}

/** "MM:SS" for every second of an hour, so read_ts = end + delay is a concatenation. */
export const MINUTE_SECOND: readonly string[] = Array.from({ length: 3600 }, (_, s) => {
  const mm = Math.floor(s / 60);
  const ss = s % 60;
  return `${mm < 10 ? '0' : ''}${mm}:${ss < 10 ? '0' : ''}${ss}`;
});

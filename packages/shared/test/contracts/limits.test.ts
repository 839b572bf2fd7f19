import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/index.ts';
import { DEFAULT_READ_LIMITS, loadValidationConfig, validateRead } from '../../src/contracts/index.ts';
import { ctx, intervalRead, json } from './fixtures.ts';

describe('validation limits from the environment', () => {
  it('defaults match DEFAULT_READ_LIMITS, 5 min skew, 16 KiB, year 2000', () => {
    const c = loadValidationConfig({});
    expect(c.limits).toEqual(DEFAULT_READ_LIMITS);
    expect(c.maxFutureSkewMs).toBe(300_000);
    expect(c.maxMessageBytes).toBe(16_384);
    expect(c.minPlausibleInstantMs).toBe(Date.parse('2000-01-01T00:00:00Z'));
  });

  it('reads every variable and feeds validateRead', () => {
    const c = loadValidationConfig({
      AMI_MAX_FUTURE_SKEW_S: '0',
      AMI_READ_MAX_INTERVAL_KWH: '0.2',
      AMI_READ_MAX_REGISTER_KWH: '1000',
      AMI_READ_MIN_VOLTAGE_V: '100',
      AMI_READ_MAX_VOLTAGE_V: '260',
      AMI_READ_NET_TOLERANCE_WH: '0',
      AMI_MAX_MESSAGE_BYTES: '1024',
      AMI_MIN_PLAUSIBLE_DATE: '2020-01-01',
    });
    expect(c.limits).toEqual({
      maxIntervalWh: 200,
      maxRegisterWh: 1_000_000,
      minVoltageV: 100,
      maxVoltageV: 260,
      netToleranceWh: 0,
    });
    const r = validateRead(json(intervalRead()), { ...ctx, ...c });
    expect(r.ok ? undefined : [r.reason, r.path]).toEqual(['OUT_OF_RANGE', '/delivered_kwh']);
  });

  it('names every bad variable in one ConfigError', () => {
    try {
      loadValidationConfig({ AMI_MAX_FUTURE_SKEW_S: 'soon', AMI_MIN_PLAUSIBLE_DATE: '2020-13-01' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.env).sort()).toEqual([
        'AMI_MAX_FUTURE_SKEW_S',
        'AMI_MIN_PLAUSIBLE_DATE',
      ]);
    }
  });

  it('rejects a voltage band whose minimum is not below its maximum', () => {
    expect(() =>
      loadValidationConfig({ AMI_READ_MIN_VOLTAGE_V: '300', AMI_READ_MAX_VOLTAGE_V: '250' }),
    ).toThrow(/AMI_READ_MIN_VOLTAGE_V.*must be below AMI_READ_MAX_VOLTAGE_V/);
  });
});

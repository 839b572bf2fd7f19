import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ALERT_RULES,
  GRID_ALERT_TYPES,
  alertTopicKey,
  alertTopicOf,
  alertTypeCatalog,
  alertTypeDef,
  buildEventCodeTable,
  defaultEventCodeTable,
  isCommLoss,
  isHighVoltage,
  isLowReceiptRate,
  isLowVoltage,
  isTransformerOutage,
  loadAlertRules,
} from '../../src/domain/index.ts';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

describe('alert types', () => {
  it('grid alerts have their source, default severity and the grid topic', () => {
    const expected = {
      LOW_RECEIPT_RATE: ['COMM', 'WARNING', 'transformer'],
      LOW_VOLTAGE: ['VOLTAGE', 'WARNING', 'transformer'],
      HIGH_VOLTAGE: ['VOLTAGE', 'WARNING', 'transformer'],
      TRANSFORMER_OUTAGE: ['OUTAGE', 'CRITICAL', 'transformer'],
      METER_COMM_LOSS: ['COMM', 'WARNING', 'meter'],
    };
    for (const type of GRID_ALERT_TYPES) {
      const def = alertTypeDef(type, defaultEventCodeTable);
      expect([def?.source, def?.defaultSeverity, def?.entityType]).toEqual(expected[type]);
      expect(def?.topicKey).toBe('alertsGrid');
    }
  });

  it('EVENT alerts exist for every alerting event code, with its severity and the events topic', () => {
    const eventTypes = alertTypeCatalog(defaultEventCodeTable).filter((d) => d.source === 'EVENT');
    expect(eventTypes.map((d) => d.type).sort()).toEqual([
      'NEUTRAL_LOSS',
      'PHASE_LOSS',
      'POWER_OUTAGE',
      'REVERSE_ENERGY_FLOW',
      'TAMPER_COVER_OPEN',
      'TAMPER_MAGNETIC',
    ]);
    expect(alertTypeDef('TAMPER_MAGNETIC', defaultEventCodeTable)).toMatchObject({
      defaultSeverity: 'WARNING',
      topicKey: 'alertsEvents',
      entityType: 'meter',
    });
    expect(alertTypeDef('POWER_RESTORED', defaultEventCodeTable)).toBeUndefined();
  });

  it('follows a configured event table', () => {
    const table = buildEventCodeTable([
      {
        code: 5000,
        name: 'DOOR_OPEN',
        description: 'cabinet',
        severity: 'INFO',
        outage: 'none',
        alert: true,
      },
    ]);
    expect(alertTypeDef('DOOR_OPEN', table)?.defaultSeverity).toBe('INFO');
    expect(alertTypeDef('TAMPER_MAGNETIC', table)).toBeUndefined();
  });

  it('routes sources to the configured topics', () => {
    const topics = loadConfig({ AMI_TOPIC_ALERTS_EVENTS: 'custom.events' }).topics;
    expect(alertTopicOf('VOLTAGE', topics)).toBe('ami.alerts.grid');
    expect(alertTopicOf('COMM', topics)).toBe('ami.alerts.grid');
    expect(alertTopicOf('OUTAGE', topics)).toBe('ami.alerts.grid');
    expect(alertTopicOf('EVENT', topics)).toBe('custom.events');
    expect(alertTopicKey('EVENT')).toBe('alertsEvents');
  });
});

describe('alert rule parameters', () => {
  it('defaults are the SPEC 4 rules', () => {
    expect(loadAlertRules({})).toEqual(DEFAULT_ALERT_RULES);
    expect(DEFAULT_ALERT_RULES).toEqual({
      lowReceiptRatePct: 80,
      lowVoltageV: 207,
      highVoltageV: 253,
      outageMinMeters: 3,
      outageMinSharePct: 50,
      outageWindowMs: 60_000,
      commLossIntervals: 4,
    });
  });

  it('rule predicates use strict thresholds as the seed does', () => {
    const r = DEFAULT_ALERT_RULES;
    expect([isLowReceiptRate(79.9, r), isLowReceiptRate(80, r)]).toEqual([true, false]);
    expect([isLowVoltage(206.9, r), isLowVoltage(207, r)]).toEqual([true, false]);
    expect([isHighVoltage(253.1, r), isHighVoltage(253, r)]).toEqual([true, false]);
    expect([isCommLoss(3, r), isCommLoss(4, r)]).toEqual([false, true]);
  });

  it('outage: ≥ 3 meters, or ≥ 50 % of the transformer', () => {
    const r = DEFAULT_ALERT_RULES;
    expect(isTransformerOutage(3, 30, r)).toBe(true);
    expect(isTransformerOutage(2, 30, r)).toBe(false);
    expect(isTransformerOutage(2, 4, r)).toBe(true);
    expect(isTransformerOutage(1, 3, r)).toBe(false);
    expect(isTransformerOutage(1, 2, r)).toBe(true);
    expect(isTransformerOutage(0, 0, r)).toBe(false);
  });

  it('reads each threshold from its variable', () => {
    const rules = loadAlertRules({
      AMI_ALERT_LOW_RECEIPT_RATE_PCT: '90',
      AMI_ALERT_LOW_VOLTAGE_V: '210',
      AMI_ALERT_HIGH_VOLTAGE_V: '250',
      AMI_ALERT_OUTAGE_MIN_METERS: '5',
      AMI_ALERT_OUTAGE_MIN_SHARE_PCT: '40',
      AMI_ALERT_OUTAGE_WINDOW_S: '120',
      AMI_ALERT_COMM_LOSS_INTERVALS: '8',
    });
    expect(rules).toEqual({
      lowReceiptRatePct: 90,
      lowVoltageV: 210,
      highVoltageV: 250,
      outageMinMeters: 5,
      outageMinSharePct: 40,
      outageWindowMs: 120_000,
      commLossIntervals: 8,
    });
  });

  it('names every bad variable, and a low limit not below the high one', () => {
    try {
      loadAlertRules({ AMI_ALERT_LOW_RECEIPT_RATE_PCT: '120', AMI_ALERT_OUTAGE_MIN_METERS: 'three' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.env).sort()).toEqual([
        'AMI_ALERT_LOW_RECEIPT_RATE_PCT',
        'AMI_ALERT_OUTAGE_MIN_METERS',
      ]);
    }
    expect(() => loadAlertRules({ AMI_ALERT_LOW_VOLTAGE_V: '260' })).toThrow(
      /must be below AMI_ALERT_HIGH_VOLTAGE_V/,
    );
  });
});

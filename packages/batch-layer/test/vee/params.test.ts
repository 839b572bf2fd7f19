import { describe, expect, it } from 'vitest';
import { ConfigError } from '@ami/shared/config';
import { DEFAULT_VEE_PARAMS, loadVeeParams, veeSettings } from '../../src/vee/params.ts';
import { DEFAULT_LOAD_SHAPES, WALL_QUARTERS, normaliseShape } from '../../src/vee/load-shapes.ts';
import { QUALITY_CLASSES, METHODS, VEE_REASONS, VEE_REASON_MEANINGS } from '../../src/vee/codes.ts';
import { QUALITY_MAPPING } from '../../src/vee/reading-qualities.ts';

describe('loadVeeParams', () => {
  it('has the SPEC defaults', () => {
    const p = loadVeeParams({});
    expect(p.linearMaxGap).toBe(4);
    expect(p.likeDayCount).toBe(3);
    expect(p.likeDayLookbackDays).toBe(21);
    expect(p.stormMissingShare).toBe(0.3);
    expect(p.stormMinMeters).toBe(100);
    expect(p.billingHoldShare).toBe(0.1);
    expect(p.maxIntervalWh.residential).toBe(10_000);
    expect(Object.values(p.enabled).every((v) => v)).toBe(true);
    expect(p).toEqual(DEFAULT_VEE_PARAMS);
  });

  it('reads AMI_VEE_* overrides and converts kWh to integer Wh', () => {
    const p = loadVeeParams({
      AMI_VEE_MAX_INTERVAL_KWH_COMMERCIAL: '12.3456',
      AMI_VEE_LINEAR_MAX_GAP: '8',
      AMI_VEE_DISABLED_RULES: 'spike, like_day',
    });
    expect(p.maxIntervalWh.commercial).toBe(12_346);
    expect(p.linearMaxGap).toBe(8);
    expect(p.enabled.spike).toBe(false);
    expect(p.enabled.like_day).toBe(false);
    expect(p.enabled.linear).toBe(true);
  });

  it('names every bad variable in one ConfigError', () => {
    try {
      loadVeeParams({
        AMI_VEE_LINEAR_MAX_GAP: 'x',
        AMI_VEE_DISABLED_RULES: 'nope',
        AMI_VEE_STORM_MISSING_SHARE: '2',
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const envs = (err as ConfigError).problems.map((p) => p.env).sort();
      expect(envs).toEqual([
        'AMI_VEE_DISABLED_RULES',
        'AMI_VEE_LINEAR_MAX_GAP',
        'AMI_VEE_STORM_MISSING_SHARE',
      ]);
    }
  });

  it('rejects a like-day minimum above the count', () => {
    expect(() => loadVeeParams({ AMI_VEE_LIKE_DAY_MIN: '4' })).toThrow(/AMI_VEE_LIKE_DAY_MIN/);
  });

  it('every setting is an AMI_VEE_* variable with a doc', () => {
    for (const s of Object.values(veeSettings)) {
      expect(s.env).toMatch(/^AMI_VEE_[A-Z0-9_]+$/);
      expect(s.doc.length).toBeGreaterThan(10);
    }
  });
});

describe('load shapes', () => {
  it('built-in shapes have 96 slots with mean 1 for every segment and day type', () => {
    for (const seg of ['residential', 'commercial', 'industrial'] as const) {
      for (const t of ['weekday', 'weekend'] as const) {
        const s = DEFAULT_LOAD_SHAPES[seg][t];
        expect(s.length).toBe(WALL_QUARTERS);
        let total = 0;
        for (const v of s) total += v;
        expect(total).toBeCloseTo(96, 9);
      }
    }
  });

  it('expands 24 hourly factors by interpolating between hour centres', () => {
    const hourly = Array.from({ length: 24 }, (_, h) => (h === 12 ? 2 : 1));
    const s = normaliseShape(hourly);
    // Quarters of hour 12 centre on 12:07.5, 12:22.5, 12:37.5, 12:52.5: peak at 12:30 between them.
    expect(s[49]!).toBeGreaterThan(s[48]!);
    expect(s[49]!).toBeCloseTo(s[50]!, 12);
    expect(s[0]!).toBeCloseTo(s[95]!, 12);
    expect(() => normaliseShape([1, 2, 3])).toThrow(/24 or 96/);
    expect(() => normaliseShape(new Array<number>(96).fill(0))).toThrow(/zeros/);
  });
});

describe('code tables', () => {
  it('maps every class and every method that produces values, and documents every reason', () => {
    expect(new Set(QUALITY_MAPPING.map((m) => m.quality))).toEqual(new Set(QUALITY_CLASSES));
    for (const m of METHODS) if (m !== 'NONE') expect(QUALITY_MAPPING.some((r) => r.method === m)).toBe(true);
    for (const r of VEE_REASONS) expect(VEE_REASON_MEANINGS[r].length).toBeGreaterThan(5);
  });
});

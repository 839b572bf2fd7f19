import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/index.ts';
import {
  DEFAULT_ALERT_RULES,
  DEFAULT_TOU_CALENDAR,
  defaultEventCodeTable,
  loadDomainConfig,
  touBucketOf,
} from '../../src/domain/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ami-domain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadDomainConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.env}: ${p.problem}`);
    throw err;
  }
  return [];
}

describe('loadDomainConfig', () => {
  it('defaults to the SPEC tables', () => {
    const c = loadDomainConfig({});
    expect(c.eventCodes).toBe(defaultEventCodeTable);
    expect(c.touCalendar).toBe(DEFAULT_TOU_CALENDAR);
    expect(c.alertRules).toEqual(DEFAULT_ALERT_RULES);
  });

  it('loads an event code table and a TOU calendar from JSON files', () => {
    const codes = file('codes.json', [
      {
        code: 7001,
        name: 'DOOR_OPEN',
        description: 'Cabinet door',
        severity: 'WARNING',
        outage: 'none',
        alert: true,
      },
      {
        code: 3840,
        name: 'POWER_OUTAGE',
        description: 'Last gasp',
        severity: 'CRITICAL',
        outage: 'opens',
        alert: true,
      },
    ]);
    const tou = file('tou.json', {
      peak: [{ months: [6, 7, 8], weekdays: [1, 2, 3, 4, 5], from: '12:00', to: '18:00' }],
      holidays: ['2025-06-20'],
    });
    const c = loadDomainConfig({ AMI_EVENT_CODES_FILE: codes, AMI_TOU_CALENDAR_FILE: tou });
    expect(c.eventCodes.get(7001)?.name).toBe('DOOR_OPEN');
    expect(c.eventCodes.get(2048)).toBeUndefined();
    const tz = 'Europe/Stockholm';
    expect(touBucketOf(Date.parse('2025-07-16T11:00:00Z'), 'tou', c.touCalendar, tz)).toBe('peak');
    expect(touBucketOf(Date.parse('2025-06-20T11:00:00Z'), 'tou', c.touCalendar, tz)).toBe('off_peak');
  });

  it('explains a missing file, invalid JSON, a schema mismatch and a semantic error', () => {
    expect(problemsOf({ AMI_EVENT_CODES_FILE: join(dir, 'nope.json') })[0]).toMatch(
      /^AMI_EVENT_CODES_FILE: cannot read .*nope\.json/,
    );
    expect(problemsOf({ AMI_TOU_CALENDAR_FILE: file('bad.json', '{"peak": [') })[0]).toMatch(
      /^AMI_TOU_CALENDAR_FILE: .*bad\.json is not valid JSON/,
    );
    const wrongShape = file('shape.json', [
      { code: 'x', name: 'A', description: '', severity: 'LOW', outage: 'none', alert: true },
    ]);
    const shape = problemsOf({ AMI_EVENT_CODES_FILE: wrongShape })[0];
    expect(shape).toMatch(/does not match the expected format/);
    expect(shape).toContain('/0/code');
    const dup = file('dup.json', [
      { code: 1, name: 'A', description: '', severity: 'INFO', outage: 'none', alert: false },
      { code: 1, name: 'B', description: '', severity: 'INFO', outage: 'none', alert: false },
    ]);
    expect(problemsOf({ AMI_EVENT_CODES_FILE: dup })[0]).toMatch(/dup\.json: event code 1 is defined twice/);
    const backwards = file('back.json', {
      peak: [{ months: [1], weekdays: [1], from: '10:00', to: '09:00' }],
      holidays: [],
    });
    expect(problemsOf({ AMI_TOU_CALENDAR_FILE: backwards })[0]).toMatch(/back\.json: peak\[0\]/);
  });

  it('reports problems of files and thresholds together', () => {
    const problems = problemsOf({
      AMI_TOU_CALENDAR_FILE: join(dir, 'missing.json'),
      AMI_ALERT_COMM_LOSS_INTERVALS: '0',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'AMI_ALERT_COMM_LOSS_INTERVALS',
      'AMI_TOU_CALENDAR_FILE',
    ]);
  });
});

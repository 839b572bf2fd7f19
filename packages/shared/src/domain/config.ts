/**
 * Domain configuration from the environment: the event code table and TOU calendar (JSON files,
 * validated by their TypeBox schemas) and the alert rule thresholds (one variable each).
 * `loadDomainConfig` throws one ConfigError naming every bad variable.
 */
import { ConfigError, readSettings, setting, type Env, type SettingsSpec } from '../config/settings.ts';
import { loadAlertRules, type AlertRuleParams } from './alert-rules.ts';
import {
  DEFAULT_EVENT_CODES,
  EventCodeFileSchema,
  buildEventCodeTable,
  defaultEventCodeTable,
  type EventCodeTable,
} from './event-codes.ts';
import { jsonFileParser } from './json-file.ts';
import { DEFAULT_TOU_CALENDAR, TouCalendarSpecSchema, compileTouCalendar, type TouCalendar } from './tou.ts';

export const domainFileSettings = {
  eventCodes: setting(
    'AMI_EVENT_CODES_FILE',
    `JSON file with the meter event code table (array of {code, name, description, severity, outage, alert}); empty = the ${DEFAULT_EVENT_CODES.length} codes of SPEC 3.3`,
    '',
    jsonFileParser(EventCodeFileSchema, () => defaultEventCodeTable, buildEventCodeTable),
  ),
  touCalendar: setting(
    'AMI_TOU_CALENDAR_FILE',
    'JSON file with the TOU calendar ({peak: [{months, weekdays, from, to}], holidays: [YYYY-MM-DD]}); empty = Mon–Fri 06:00–22:00, Nov–Mar',
    '',
    jsonFileParser(TouCalendarSpecSchema, () => DEFAULT_TOU_CALENDAR, compileTouCalendar),
  ),
} as const satisfies SettingsSpec;

export interface DomainConfig {
  readonly eventCodes: EventCodeTable;
  readonly touCalendar: TouCalendar;
  readonly alertRules: AlertRuleParams;
}

/** Reads the whole domain configuration; one ConfigError lists the problems of all variables. */
export function loadDomainConfig(env: Env = process.env): DomainConfig {
  const problems: ConfigError['problems'][number][] = [];
  let files: { eventCodes: EventCodeTable; touCalendar: TouCalendar } | undefined;
  let alertRules: AlertRuleParams | undefined;
  try {
    files = readSettings(domainFileSettings, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  try {
    alertRules = loadAlertRules(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (files === undefined || alertRules === undefined) throw new ConfigError(problems);
  return { eventCodes: files.eventCodes, touCalendar: files.touCalendar, alertRules };
}

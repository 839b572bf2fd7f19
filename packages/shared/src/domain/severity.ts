/** Severity of meter events and alerts, lowest first. */
import { Type, type Static } from '@sinclair/typebox';

export const SEVERITIES = ['INFO', 'WARNING', 'CRITICAL'] as const;

export const SeveritySchema = Type.Union(
  SEVERITIES.map((s) => Type.Literal(s)),
  { description: 'INFO < WARNING < CRITICAL' },
);
export type Severity = Static<typeof SeveritySchema>;

/** 0 for INFO, 1 for WARNING, 2 for CRITICAL: for "at least this severe" filters. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/**
 * Prometheus metrics of the speed layer (prefix `ami_speed_`).
 */
import { counter, histogram, type Registry } from '@ami/shared/metrics';

export function createSpeedMetrics(registry: Registry) {
  return {
    messages: counter(registry, 'speed_messages_total', 'Messages consumed', ['topic']),
    dlq: counter(registry, 'speed_dlq_total', 'Messages sent to a DLQ', ['topic', 'reason']),
    applied: counter(registry, 'speed_reads_applied_total', 'Reads by effect on the realtime view', [
      'effect',
    ]),
    beyondRetention: counter(
      registry,
      'speed_reads_beyond_retention_total',
      'Valid reads older than retention, skipped',
    ),
    registers: counter(
      registry,
      'speed_register_reads_total',
      'Valid DAILY register reads (not in the provisional view)',
    ),
    events: counter(registry, 'speed_events_valid_total', 'Valid meter events'),
    freshness: histogram(
      registry,
      'speed_freshness_seconds',
      'now − read_ts when a read is applied',
      [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    ),
  };
}

export type SpeedMetrics = ReturnType<typeof createSpeedMetrics>;

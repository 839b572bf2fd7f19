/**
 * Prometheus metrics of the speed layer (prefix `ami_speed_`).
 */
import { counter, gauge, histogram, type Registry } from '@ami/shared/metrics';

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
    late: counter(
      registry,
      'speed_reads_late_total',
      'Valid reads behind their partition watermark on arrival (applied when within retention)',
    ),
    expired: counter(
      registry,
      'speed_reads_expired_total',
      'Reads of a local day the retention sweep had already dropped (left to the batch layer)',
    ),
    freshness: histogram(
      registry,
      'speed_freshness_seconds',
      'now − read_ts when a read becomes visible in Redis',
      [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    ),
    applyLatency: histogram(
      registry,
      'speed_produce_to_visible_seconds',
      'now − Kafka produce time when a read becomes visible in Redis',
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    ),
    readsPerSecond: gauge(registry, 'speed_reads_per_second', 'Reads applied per second (last 10 s)'),
    lag: gauge(registry, 'speed_consumer_lag', 'Messages behind the partition end', ['topic', 'partition']),
    watermark: gauge(
      registry,
      'speed_watermark_seconds',
      'Event-time watermark (unix seconds): per partition, and partition="global"',
      ['partition'],
    ),
    paused: gauge(
      registry,
      'speed_paused_partitions',
      'Partitions whose Redis call is failing and being retried (backpressure)',
    ),
    pauses: counter(registry, 'speed_backpressure_pauses_total', 'Pauses of a partition', ['reason']),
    retentionDroppedDays: counter(
      registry,
      'speed_retention_dropped_days_total',
      'Local days dropped from the realtime view, by whether the batch layer had published them',
      ['covered'],
    ),
    batchWatermark: gauge(
      registry,
      'speed_batch_watermark_seconds',
      'Batch watermark the retention sweep last saw (unix seconds; 0 = unknown)',
    ),
  };
}

export type SpeedMetrics = ReturnType<typeof createSpeedMetrics>;

/**
 * Prometheus metrics of the archiver (prefix `ami_archiver_`).
 */
import { counter, gauge, histogram, type Registry } from '@ami/shared/metrics';

export function createArchiverMetrics(registry: Registry) {
  return {
    messages: counter(registry, 'archiver_messages_total', 'Messages consumed', ['topic']),
    readsArchived: counter(registry, 'archiver_reads_archived_total', 'Valid reads written to raw/reads'),
    eventsArchived: counter(registry, 'archiver_events_archived_total', 'Valid events written to raw/events'),
    quarantined: counter(registry, 'archiver_quarantined_total', 'Invalid messages written to quarantine/', [
      'kind',
      'reason',
    ]),
    objects: counter(registry, 'archiver_objects_uploaded_total', 'Parquet objects uploaded', ['table']),
    bytes: counter(registry, 'archiver_bytes_uploaded_total', 'Parquet bytes uploaded', ['table']),
    flushes: counter(registry, 'archiver_flushes_total', 'Partition flushes', ['trigger']),
    flushSeconds: histogram(
      registry,
      'archiver_flush_seconds',
      'Duration of a partition flush (write Parquet, upload, mark dirty days, commit)',
      [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    ),
    buffered: gauge(registry, 'archiver_buffered_messages', 'Messages buffered, not yet archived'),
    lag: gauge(
      registry,
      'archiver_lag_messages',
      'Messages after the committed offset (not yet archived), per partition assigned here, sampled every 10 s',
      ['topic', 'partition'],
    ),
    dropped: counter(
      registry,
      'archiver_buffers_dropped_total',
      'Buffers dropped unflushed after a rebalance, a failed flush or a failed Kafka session (they are consumed again)',
    ),
  };
}

export type ArchiverMetrics = ReturnType<typeof createArchiverMetrics>;

/**
 * Prometheus metrics of a live simulation (`--metrics-port`), read from the run's status at each
 * scrape: reads and events produced, the simulated clock and its lag behind the wall clock.
 */
import { Counter, Gauge, METRIC_PREFIX, createMetricsRegistry, type Registry } from '@ami/shared/metrics';
import type { LiveStatus } from './live.ts';

/** A registry (service "simulator", default Node metrics) with the live run's metrics. */
export function liveMetricsRegistry(status: () => LiveStatus): Registry {
  const registry = createMetricsRegistry('simulator');
  let reads = 0;
  let events = 0;
  new Counter({
    name: `${METRIC_PREFIX}sim_reads_produced_total`,
    help: 'Reads handed to the Kafka producer',
    registers: [registry],
    collect() {
      const n = status().reads;
      this.inc(n - reads);
      reads = n;
    },
  });
  new Counter({
    name: `${METRIC_PREFIX}sim_events_produced_total`,
    help: 'Meter events handed to the Kafka producer',
    registers: [registry],
    collect() {
      const n = status().events;
      this.inc(n - events);
      events = n;
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}sim_clock_seconds`,
    help: 'The simulated clock (Unix seconds): nothing later has been produced',
    registers: [registry],
    collect() {
      this.set(status().simClockMs / 1000);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}sim_lag_seconds`,
    help: 'Seconds the simulated clock is behind the wall clock',
    registers: [registry],
    collect() {
      this.set(status().lagMs / 1000);
    },
  });
  return registry;
}

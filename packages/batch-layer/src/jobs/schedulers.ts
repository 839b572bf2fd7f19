/**
 * Job schedulers of the batch queue (BullMQ upsertJobScheduler, idempotent — every worker process
 * upserts them at start): the nightly build (cron in local time, tz = AMI_TIMEZONE) and the
 * late-data sweep (every AMI_BATCH_SWEEP_EVERY_S) and the restatement relay (every AMI_BATCH_RELAY_EVERY_S).
 */
import type { Queue } from 'bullmq';
import { SCHEDULER_IDS } from './definitions.ts';
import { retentionOptions, retryOptions } from './enqueue.ts';
import type { BatchJobSettings } from './settings.ts';

export async function registerSchedulers(
  queue: Queue,
  settings: BatchJobSettings,
  timeZone: string,
): Promise<void> {
  const opts = { ...retryOptions(settings), ...retentionOptions(settings) };
  await queue.upsertJobScheduler(
    SCHEDULER_IDS.nightly,
    { pattern: settings.nightlyCron, tz: timeZone },
    { name: 'nightly', data: {}, opts },
  );
  await queue.upsertJobScheduler(
    SCHEDULER_IDS.sweep,
    { every: settings.sweepEveryS * 1000 },
    { name: 'sweep-dirty', data: {}, opts },
  );
  // Safety net for the relay (it also runs after every committed build).
  await queue.upsertJobScheduler(
    SCHEDULER_IDS.relay,
    { every: settings.relayEveryS * 1000 },
    { name: 'relay-restatements', data: {}, opts },
  );
}

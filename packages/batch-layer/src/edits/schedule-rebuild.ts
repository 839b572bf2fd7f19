/**
 * After a manual edit is stored: enqueue the rebuild of its local day with cause `edit`. Shared by
 * the API (POST /v1/edits) and the CLI (`pnpm ami edits add`), so both report the same outcome.
 * Never throws: when the queue is unreachable the day's dirty mark (set by EditStore.append) makes
 * the late-data sweep rebuild it.
 */
import type { BatchJobs } from '../jobs/client.ts';

export const EDIT_REBUILD_STATUSES = [
  'enqueued',
  'already_queued',
  'day_not_over',
  'enqueue_failed',
] as const;
export type EditRebuildStatus = (typeof EDIT_REBUILD_STATUSES)[number];

export interface EditRebuildOutcome {
  readonly date: string;
  /** The build-day job covering the edit, when one was queued. */
  readonly job_id: string | null;
  readonly status: EditRebuildStatus;
}

export async function scheduleEditRebuild(
  jobs: Pick<BatchJobs, 'enqueueRebuild'>,
  date: string,
  editId: string,
): Promise<{ outcome: EditRebuildOutcome; error?: unknown }> {
  try {
    const r = await jobs.enqueueRebuild(date, 'edit', editId);
    return { outcome: { date, job_id: r.id, status: r.added ? 'enqueued' : 'already_queued' } };
  } catch (error) {
    if (error instanceof RangeError && / is not over yet /.test(error.message))
      return { outcome: { date, job_id: null, status: 'day_not_over' } };
    return { outcome: { date, job_id: null, status: 'enqueue_failed' }, error };
  }
}

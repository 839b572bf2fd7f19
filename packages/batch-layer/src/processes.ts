/**
 * The batch layer's long-running processes as files to run (`node --import tsx <file>`): the
 * archiver (Kafka → master dataset) and the batch worker (BullMQ jobs and their schedulers). Absolute
 * paths, so a supervisor (`ami up`, the end-to-end and fuzz tests) need not know where they live.
 */
import { fileURLToPath } from 'node:url';

/** Entry point of the archiver process (SIGTERM/SIGINT: flush, commit, exit 0). */
export const ARCHIVER_MAIN: string = fileURLToPath(new URL('./archiver/main.ts', import.meta.url));

/** Entry point of a batch worker process (SIGTERM/SIGINT: finish running jobs, exit 0). */
export const BATCH_WORKER_MAIN: string = fileURLToPath(new URL('./jobs/main.ts', import.meta.url));

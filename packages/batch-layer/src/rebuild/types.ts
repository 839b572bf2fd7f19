/**
 * The contract of a day rebuild (SPEC 5): rebuild every batch view of one local day from the master
 * dataset and publish it atomically. The BullMQ jobs (src/jobs) drive it; the implementation is
 * day-builder.ts.
 */
import type { RestatementCause } from '@ami/shared/contracts';
import type { PartitionChange } from '../catalog/manifest.ts';

export type RebuildPhase = 'load' | 'dedupe' | 'vee' | 'views' | 'publish';

export interface DayBuildRequest {
  /** Local date 'YYYY-MM-DD' in AMI_TIMEZONE. */
  readonly date: string;
  /** Why the day is (re)built; recorded in the catalog snapshot and restatement notices. */
  readonly cause: RestatementCause;
  /** Progress callback: the phase just entered and the overall fraction done (0..1). */
  readonly onProgress?: (phase: RebuildPhase, fraction: number) => void;
}

export interface DayBuildStats {
  /** Raw interval reads read from the master dataset (before dedupe). */
  readonly rawIntervals: number;
  /** Intervals after latest-wins dedupe. */
  readonly intervals: number;
  readonly meters: number;
  /** Rows of intervals_validated. */
  readonly validatedRows: number;
  /** Quality class counts over the day. */
  readonly quality: {
    readonly A: number;
    readonly E: number;
    readonly M: number;
    readonly X: number;
    readonly O: number;
  };
  /** Milliseconds per phase. */
  readonly phaseMs: Readonly<Record<RebuildPhase, number>>;
}

export interface DayBuildResult {
  readonly date: string;
  /** False when the views were identical to the published ones (no new catalog version). */
  readonly committed: boolean;
  /** Catalog version now current ('v<seq>'). */
  readonly version: string | null;
  /** Batch watermark after the publish (ISO instant) or null. */
  readonly watermark: string | null;
  /** Changed (view, partition)s; oldVersion set = a restatement. */
  readonly changes: readonly PartitionChange[];
  readonly stats: DayBuildStats;
}

export interface DayBuilder {
  buildDay(request: DayBuildRequest): Promise<DayBuildResult>;
}

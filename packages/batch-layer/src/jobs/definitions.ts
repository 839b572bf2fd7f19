/**
 * The batch queue's jobs: names, TypeBox schemas of their data, payload checks and job ids.
 *
 * One queue (`AMI_BATCH_QUEUE`, default `ami-batch`) carries six job names:
 *  - `build-day` {date, cause}: rebuild and publish one local day (a backfill's children too);
 *  - `sweep-dirty` {}: enqueue build-day jobs for dirty days (late data);
 *  - `nightly` {}: enqueue the build of local yesterday;
 *  - `backfill` {from, to}: parent of one build-day child per local date in [from, to];
 *  - `relay-restatements` {}: notices on ami.batch.restatements for new catalog snapshots (enqueued
 *    after every committed build, and on a schedule as a safety net);
 *  - `reconcile` {date}: provisional vs authoritative report of a day (after every committed build).
 *
 * Job ids (BullMQ ignores an add whose id exists; it forbids ':' in custom ids, so '.' separates):
 *  - build-day: `build-day.<date>.<cause>.<token>`. The token names the request: `m<stamp>` for a
 *    sweep (the day's dirty-mark stamp, so two sweeps of the same round, racing or repeated, add
 *    one job; a mark that arrives later raises the stamp and gets a new job), `n` for the nightly,
 *    the caller's token (e.g. an edit id) or a fresh one for a manual rebuild, `b<parent token>` for
 *    a backfill child. Completed jobs are kept AMI_BATCH_KEEP_COMPLETED_S, so a repeat of the same
 *    request within that time is a no-op, and a new request (new token) is a rerun.
 *  - Standalone build-day jobs also carry BullMQ deduplication id `build-day.<date>` with
 *    keepLastIfActive: while a build of the day waits (or backs off) any further request is a no-op
 *    (the waiting build will read the newest data anyway); while one runs, one follow-up is kept and
 *    enqueued when it finishes. So at most one build per day runs and one waits.
 *    Backfill children cannot carry it (a deduplicated child would be missing from its parent), so
 *    the worker also holds a per-day Redis lock (day-lock.ts) around every build.
 *  - backfill: `backfill.<from>.<to>.<token>`; nightly/sweep jobs get their ids from their schedulers.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { UnrecoverableError } from 'bullmq';
import { RESTATEMENT_CAUSES } from '@ami/shared/contracts';
import { isValidLocalDate } from '@ami/shared/time';

export const JOB_NAMES = [
  'build-day',
  'sweep-dirty',
  'nightly',
  'backfill',
  'relay-restatements',
  'reconcile',
] as const;
export type BatchJobName = (typeof JOB_NAMES)[number];

const LocalDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: "local date 'YYYY-MM-DD'" });

export const BuildDayDataSchema = Type.Object(
  {
    date: LocalDate,
    cause: Type.Union(RESTATEMENT_CAUSES.map((c) => Type.Literal(c))),
  },
  { additionalProperties: false },
);
export type BuildDayData = Static<typeof BuildDayDataSchema>;

export const EmptyDataSchema = Type.Object({}, { additionalProperties: false });
export type EmptyData = Static<typeof EmptyDataSchema>;

export const BackfillDataSchema = Type.Object(
  { from: LocalDate, to: LocalDate },
  { additionalProperties: false },
);
export type BackfillData = Static<typeof BackfillDataSchema>;

export const ReconcileDataSchema = Type.Object({ date: LocalDate }, { additionalProperties: false });
export type ReconcileData = Static<typeof ReconcileDataSchema>;

export interface BatchJobData {
  readonly 'relay-restatements': EmptyData;
  readonly reconcile: ReconcileData;
  readonly 'build-day': BuildDayData;
  readonly 'sweep-dirty': EmptyData;
  readonly nightly: EmptyData;
  readonly backfill: BackfillData;
}

const checks = {
  'build-day': TypeCompiler.Compile(BuildDayDataSchema),
  'sweep-dirty': TypeCompiler.Compile(EmptyDataSchema),
  nightly: TypeCompiler.Compile(EmptyDataSchema),
  backfill: TypeCompiler.Compile(BackfillDataSchema),
  'relay-restatements': TypeCompiler.Compile(EmptyDataSchema),
  reconcile: TypeCompiler.Compile(ReconcileDataSchema),
} as const;

export function isBatchJobName(name: string): name is BatchJobName {
  return (JOB_NAMES as readonly string[]).includes(name);
}

/**
 * Checks a job's data against its schema (and that dates are real calendar dates). Throws
 * UnrecoverableError, so BullMQ fails the job at once instead of retrying a payload that can never
 * become valid.
 */
export function parseJobData<N extends BatchJobName>(name: N, data: unknown): BatchJobData[N] {
  const check = checks[name];
  if (!check.Check(data)) {
    const problems = [...check.Errors(data)].slice(0, 5).map((e) => `${e.path || '/'}: ${e.message}`);
    throw new UnrecoverableError(`invalid ${name} payload ${JSON.stringify(data)}: ${problems.join('; ')}`);
  }
  for (const key of ['date', 'from', 'to'] as const) {
    const v = (data as Record<string, unknown>)[key];
    if (typeof v === 'string' && !isValidLocalDate(v)) {
      throw new UnrecoverableError(
        `invalid ${name} payload ${JSON.stringify(data)}: ${key} ${v} is not a calendar date`,
      );
    }
  }
  return data as BatchJobData[N];
}

/** Characters allowed in an id token (BullMQ forbids ':' in custom ids). */
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export function assertToken(token: string): string {
  if (!TOKEN.test(token))
    throw new RangeError(`job id token must be 1–64 characters of [A-Za-z0-9_-]: ${token}`);
  return token;
}

export function buildDayJobId(data: BuildDayData, token: string): string {
  return `build-day.${data.date}.${data.cause}.${assertToken(token)}`;
}

/** Deduplication id shared by every standalone build of one day. */
export function buildDayDedupId(date: string): string {
  return `build-day.${date}`;
}

export function backfillJobId(data: BackfillData, token: string): string {
  return `backfill.${data.from}.${data.to}.${assertToken(token)}`;
}

/** A fresh token: time-ordered and unique enough for manual requests. */
export function freshToken(nowMs: number): string {
  return `${nowMs.toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export const SCHEDULER_IDS = {
  nightly: 'nightly',
  sweep: 'sweep-dirty',
  relay: 'relay-restatements',
} as const;

/** Follow-ups of a committed build: one relay run per catalog version, one report per (day, version). */
export function relayJobId(version: string): string {
  return `relay-restatements.${assertToken(version)}`;
}

export function reconcileJobId(date: string, version: string): string {
  return `reconcile.${date}.${assertToken(version)}`;
}

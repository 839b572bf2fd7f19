/**
 * Batch jobs for operators (SPEC 5 scheduling, SPEC 6):
 *
 *   POST /v1/jobs/backfill  {from, to[, token]}   a backfill parent job, one build-day child per local day
 *   POST /v1/jobs/rebuild   {date[, token]}       a rebuild of one closed local day (cause 'backfill')
 *   GET  /v1/jobs/{id}                            state, progress, phase, children of one job
 *   GET  /v1/jobs[?limit]                         the most recent jobs, newest first
 *
 * Every id GET /v1/jobs lists can be looked up: the id pattern (formats.ts JOB_ID_PATTERN) admits
 * ours and BullMQ's, including its scheduler runs `repeat:<scheduler>:<ms>`.
 *
 * All through BatchJobs (@ami/batch-layer/commands); its range checks (calendar dates, from ≤ to,
 * days over, at most AMI_BATCH_BACKFILL_MAX_DAYS) answer 400. `token` makes a retried request
 * idempotent (the same token → the same job).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { backfillJobId, type BatchJobs, type JobProgressView } from '@ami/batch-layer/commands';
import { LocalDateSchema } from '@ami/shared/contracts';
import { formatIsoUtc, isValidLocalDate } from '@ami/shared/time';
import { badRequest, dependencyUnavailable, errorResponse, invalidParameter, notFound } from '../errors.ts';
import { JOB_ID_PATTERN, JOB_TOKEN_PATTERN } from '../formats.ts';
import type { RouteModule } from './context.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** Most jobs GET /v1/jobs lists. */
export const MAX_JOBS_LISTED = 100;

const Token = Type.String({
  pattern: JOB_TOKEN_PATTERN,
  description: 'Idempotency token: the same token again returns the same job',
});

export const BackfillBody = Type.Object(
  {
    from: { ...LocalDateSchema, description: 'first local day, inclusive' },
    to: { ...LocalDateSchema, description: 'last local day, inclusive (must be over)' },
    token: Type.Optional(Token),
  },
  { additionalProperties: false },
);

export const RebuildBody = Type.Object(
  { date: { ...LocalDateSchema, description: 'the local day (must be over)' }, token: Type.Optional(Token) },
  { additionalProperties: false },
);

export const JobAccepted = Type.Object(
  {
    job_id: Type.String({ description: 'GET /v1/jobs/{id} shows its progress' }),
    added: Type.Boolean({ description: 'false when an existing job covers the request' }),
  },
  { additionalProperties: false },
);

const JobIdParams = Type.Object(
  {
    id: Type.String({
      pattern: JOB_ID_PATTERN,
      description:
        'Job id, as GET /v1/jobs and the job requests answer it (e.g. repeat:relay-restatements:<ms>)',
    }),
  },
  { additionalProperties: false },
);

export const JobView = Type.Object(
  {
    id: Type.String(),
    name: Type.String({ description: 'build-day, backfill, sweep-dirty, nightly, …' }),
    state: Type.String({ description: 'waiting, active, completed, failed, waiting-children, delayed, …' }),
    progress: Type.Number({ minimum: 0, maximum: 1 }),
    phase: Nullable(Type.String({ description: 'current rebuild phase of a build-day job' })),
    children: Nullable(
      Type.Object(
        {
          done: Type.Integer({ minimum: 0 }),
          failed: Type.Integer({ minimum: 0 }),
          total: Type.Integer({ minimum: 0 }),
        },
        { additionalProperties: false, description: 'children of a backfill' },
      ),
    ),
    data: Type.Unknown({ description: 'the job payload' }),
    attempts_made: Type.Integer({ minimum: 0 }),
    failed_reason: Nullable(Type.String()),
    result: Type.Unknown(),
    created_at: Type.String(),
    finished_at: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
export type JobView = Static<typeof JobView>;

export const JobList = Type.Object({ jobs: Type.Array(JobView) }, { additionalProperties: false });

export function jobView(j: JobProgressView): JobView {
  return {
    id: j.id,
    name: j.name,
    state: j.state,
    progress: Math.min(1, Math.max(0, j.progress)),
    phase: j.phase,
    children: j.children ? { ...j.children } : null,
    data: j.data ?? null,
    attempts_made: j.attemptsMade,
    failed_reason: j.failedReason,
    result: j.result ?? null,
    created_at: formatIsoUtc(j.createdAtMs),
    finished_at: j.finishedAtMs === null ? null : formatIsoUtc(j.finishedAtMs),
  };
}

/** Parse: the body's local dates are calendar dates (400 naming the field otherwise). */
function calendarDates(dates: Readonly<Record<string, string>>): void {
  for (const [field, value] of Object.entries(dates))
    if (!isValidLocalDate(value))
      throw invalidParameter('body', field, value, 'a calendar date YYYY-MM-DD, e.g. 2026-03-01');
}

/**
 * BatchJobs' refusals (RangeError: a day not over yet, a range too long) → 400 naming the body
 * fields they are about and what was received.
 */
async function validated<T>(fields: Readonly<Record<string, string>>, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    const names = Object.keys(fields);
    const received = Object.entries(fields)
      .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
      .join(', ');
    throw badRequest(
      `body field${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(' and ')}: ${err.message}; received ${received}`,
      { in: 'body', fields: names },
    );
  }
}

// Longer than ~80 lines only because it registers four routes with their schemas written inline;
// each handler is short and reads top to bottom.
export const jobsRoutes: RouteModule = (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = ctx;
  const operator = ctx.authorize(['operator']);
  const jobsOf = (): BatchJobs => {
    if (!deps.jobs) throw dependencyUnavailable('jobs', 'the batch job queue is not configured');
    return deps.jobs;
  };

  app.post(
    '/v1/jobs/backfill',
    {
      preHandler: operator,
      schema: {
        tags: ['jobs'],
        summary: 'Start a backfill of a local date range',
        description: 'A parent job with one build-day child per local day from…to (inclusive).',
        body: BackfillBody,
        response: { 202: JobAccepted },
      },
    },
    async (req, reply) => {
      const jobs = jobsOf();
      const { from, to, token } = req.body;
      calendarDates({ from, to });
      if (to < from) throw invalidParameter('body', 'to', to, `a day at or after "from" (${from})`);
      const id = await validated({ from, to }, async () => {
        const existing =
          token === undefined ? null : await jobs.getProgress(backfillJobId({ from, to }, token));
        return { id: await jobs.enqueueBackfill(from, to, token), added: existing === null };
      });
      return reply.code(202).send({ job_id: id.id, added: id.added });
    },
  );

  app.post(
    '/v1/jobs/rebuild',
    {
      preHandler: operator,
      schema: {
        tags: ['jobs'],
        summary: 'Rebuild one closed local day',
        description: "A build-day job with cause 'backfill' (deduplicated while a build of the day waits).",
        body: RebuildBody,
        response: { 202: JobAccepted },
      },
    },
    async (req, reply) => {
      const jobs = jobsOf();
      const { date, token } = req.body;
      calendarDates({ date });
      const r = await validated({ date }, () => jobs.enqueueRebuild(date, 'backfill', token));
      return reply.code(202).send({ job_id: r.id, added: r.added });
    },
  );

  app.get(
    '/v1/jobs/:id',
    {
      preHandler: operator,
      schema: {
        tags: ['jobs'],
        summary: "A job's state and progress",
        params: JobIdParams,
        response: { 200: JobView, 404: errorResponse('No such job (or it expired)') },
      },
    },
    async (req) => {
      const view = await jobsOf().getProgress(req.params.id);
      if (!view) throw notFound(`no job ${req.params.id}`, { id: req.params.id });
      return jobView(view);
    },
  );

  app.get(
    '/v1/jobs',
    {
      preHandler: operator,
      schema: {
        tags: ['jobs'],
        summary: 'Recent batch jobs, newest first',
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_JOBS_LISTED, default: 20 })) },
          { additionalProperties: false },
        ),
        response: { 200: JobList },
      },
    },
    async (req) => {
      const jobs = await jobsOf().listRecent(req.query.limit ?? 20);
      return { jobs: jobs.map(jobView) };
    },
  );
  return Promise.resolve();
};

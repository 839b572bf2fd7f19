/**
 * Manual edits (SPEC 5 "editing", SPEC 6):
 *
 *   POST /v1/edits                    editor            store one edit, rebuild its day
 *   GET  /v1/edits?meterId&from&to    editor, analyst   a meter's edits over local days from…to
 *
 * POST stores the edit in the append-only EditStore (`who` = the caller's key name; the store marks
 * the day dirty) and then enqueues a rebuild of the edit's local day with cause 'edit', token = the
 * edit id (a retried request cannot queue it twice). If the enqueue fails the dirty mark makes the
 * late-data sweep rebuild the day; a day not over yet is built by the nightly build. Answers: 201 with
 * the record and the job; 202 with a warning when the edit is stored but its day could not be marked
 * (EditNotScheduledError); 400 with the store's code and field for an invalid edit.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import {
  AppendConflictError,
  EDIT_REBUILD_STATUSES,
  EditNotScheduledError,
  EditValidationError,
  MAX_LIST_DAYS,
  scheduleEditRebuild,
  type BatchJobs,
} from '@ami/batch-layer/commands';
import { EditRecordSchema, EditRequestSchema, IdSchema, LocalDateSchema } from '@ami/shared/contracts';
import { isValidLocalDate, localDate, localDaysBetween, parseIsoInstant } from '@ami/shared/time';
import { ApiError, badRequest, conflict, dependencyUnavailable, errorResponse } from '../errors.ts';
import type { RouteModule } from './context.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const REBUILD_STATUSES = EDIT_REBUILD_STATUSES;

export const EditRebuild = Type.Object(
  {
    date: LocalDateSchema,
    job_id: Nullable(Type.String({ description: 'the build-day job covering the edit (GET /v1/jobs/{id})' })),
    status: Type.Union(
      REBUILD_STATUSES.map((s) => Type.Literal(s)),
      {
        description:
          'enqueued: a rebuild with cause edit was queued; already_queued: a waiting build of the day covers it; ' +
          'day_not_over: the nightly build will include it; enqueue_failed: the late-data sweep will rebuild the day',
      },
    ),
  },
  { additionalProperties: false },
);
export type EditRebuild = Static<typeof EditRebuild>;

export const EditCreated = Type.Object(
  {
    edit: EditRecordSchema,
    rebuild: EditRebuild,
    warning: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type EditCreated = Static<typeof EditCreated>;

export const EditStoredUnscheduled = Type.Object(
  {
    edit_id: Type.String(),
    rebuild: EditRebuild,
    warning: Type.String(),
  },
  { additionalProperties: false },
);

export const EditsQuery = Type.Object(
  {
    meterId: IdSchema,
    from: { ...LocalDateSchema, description: 'first local day, inclusive (YYYY-MM-DD)' },
    to: { ...LocalDateSchema, description: 'last local day, inclusive (YYYY-MM-DD)' },
  },
  { additionalProperties: false },
);
export type EditsQuery = Static<typeof EditsQuery>;

export const EditList = Type.Object(
  {
    meter_id: Type.String(),
    from: Type.String(),
    to: Type.String(),
    edits: Type.Array(EditRecordSchema),
  },
  { additionalProperties: false },
);

function validationError(err: EditValidationError): ApiError {
  return new ApiError(400, 'invalid_edit', err.message, { code: err.code, field: err.field });
}

/** Enqueues the rebuild of `date` for edit `editId` (shared rule); logs when it could not. */
async function enqueueRebuild(
  jobs: BatchJobs,
  date: string,
  editId: string,
  log: FastifyReply['log'],
): Promise<EditRebuild> {
  const { outcome, error } = await scheduleEditRebuild(jobs, date, editId);
  if (error !== undefined)
    log.warn({ err: error, date, editId }, 'rebuild of an edited day could not be enqueued');
  return outcome;
}

// Longer than ~80 lines only because it registers two routes with their schemas written inline;
// each handler is short and reads top to bottom.
export const editsRoutes: RouteModule = (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = ctx;

  app.post(
    '/v1/edits',
    {
      preHandler: ctx.authorize(['editor']),
      schema: {
        tags: ['edits'],
        summary: 'Record a manual edit of one interval and rebuild its day',
        description:
          "The edit is stored append-only with the caller's key name as `who`; the edit's local day is " +
          "rebuilt with cause 'edit' (job in `rebuild`).",
        body: EditRequestSchema,
        response: {
          201: EditCreated,
          202: {
            ...EditStoredUnscheduled,
            description: 'Stored, but its day could not be marked for rebuild',
          },
          409: errorResponse('An edit with this key exists already'),
        },
      },
    },
    async (req, reply) => {
      const { edits, jobs } = deps;
      if (!edits) throw dependencyUnavailable('edits', 'the edit store is not configured');
      if (!jobs) throw dependencyUnavailable('jobs', 'the batch job queue is not configured');
      const caller = req.apiCaller;
      if (!caller) throw new ApiError(401, 'unauthorized', 'unknown API key');
      try {
        const edit = await edits.append({ ...req.body, who: caller.name });
        const date = localDate(parseIsoInstant(edit.interval_start), deps.timeZone);
        const rebuild = await enqueueRebuild(jobs, date, edit.edit_id, req.log);
        const body: EditCreated = {
          edit,
          rebuild,
          ...(rebuild.status === 'enqueue_failed'
            ? { warning: 'rebuild not enqueued; the late-data sweep will rebuild the day' }
            : {}),
        };
        return reply.code(201).send(body);
      } catch (err) {
        if (err instanceof EditValidationError) throw validationError(err);
        if (err instanceof AppendConflictError) throw conflict(err.message);
        if (err instanceof EditNotScheduledError) {
          const rebuild = await enqueueRebuild(jobs, err.date, err.recordId, req.log);
          return reply.code(202).send({
            edit_id: err.recordId,
            rebuild,
            warning: `edit stored, but day ${err.date} could not be marked for rebuild${
              rebuild.status === 'enqueued' || rebuild.status === 'already_queued'
                ? ' (a rebuild job was queued)'
                : '; retry the rebuild (POST /v1/jobs/rebuild)'
            }`,
          });
        }
        throw err;
      }
    },
  );

  app.get(
    '/v1/edits',
    {
      preHandler: ctx.authorize(['editor', 'analyst']),
      schema: {
        tags: ['edits'],
        summary: "A meter's manual edits over local days",
        description: `Edits of intervals in local days from…to (inclusive, at most ${MAX_LIST_DAYS} days), in day then time order.`,
        querystring: EditsQuery,
        response: { 200: EditList },
      },
    },
    async (req) => {
      const { edits } = deps;
      if (!edits) throw dependencyUnavailable('edits', 'the edit store is not configured');
      const { meterId, from, to } = req.query;
      if (!isValidLocalDate(from) || !isValidLocalDate(to))
        throw badRequest('from and to must be calendar dates YYYY-MM-DD', { from, to });
      const span = localDaysBetween(from, to);
      if (span < 0) throw badRequest('from must not be after to', { from, to });
      if (span + 1 > MAX_LIST_DAYS)
        throw badRequest(`at most ${MAX_LIST_DAYS} days per listing`, { from, to, maxDays: MAX_LIST_DAYS });
      try {
        const list = await edits.listForMeter(meterId, from, to);
        return { meter_id: meterId, from, to, edits: list };
      } catch (err) {
        if (err instanceof EditValidationError) throw validationError(err);
        throw err;
      }
    },
  );
  return Promise.resolve();
};

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
 * (EditNotScheduledError); 400 with the store's code and field for an invalid edit; 422
 * `unknown_meter` for a meter without a topology version at the edited interval, checked before
 * anything is stored.
 *
 * Why 422 and the topology: the batch worker builds a day for the meters the topology has a version
 * of during it (rebuild/day-builder.ts; the same rule as UNKNOWN_METER for reads), so an edit of any
 * other meter would be stored, rebuild its day and change nothing — the 201 of a silent no-op. The
 * master dataset cannot answer instead: a meter with reads but no topology version is rejected whole
 * (VEE UNKNOWN_METER) and its edits are not applied either. 422, not 404: the resource POSTed to
 * exists; the edit it carries names a meter the platform does not know. Without a topology
 * (AMI_TOPOLOGY_FILE) the route cannot check and answers 503, as without its edit store.
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
import { ApiError, conflict, dependencyUnavailable, errorResponse, invalidParameter } from '../errors.ts';
import { shownValue } from '../validation-issues.ts';
import type { TopologyLookup } from '../topology.ts';
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

/** The edit store's refusal as a 400 naming the field, what it needs and (for a body) what it got. */
function validationError(err: EditValidationError, sent?: Readonly<Record<string, unknown>>): ApiError {
  const name = err.field.replace(/^\//, '');
  if (name === '')
    return new ApiError(400, 'invalid_edit', err.message, { code: err.code, field: err.field });
  // EditValidationError's message is `invalid edit: <field>: <detail>`
  const detail = err.message.replace(`invalid edit: ${err.field}: `, '');
  const received =
    sent !== undefined && Object.hasOwn(sent, name) ? `; received ${shownValue(sent[name])}` : '';
  return new ApiError(400, 'invalid_edit', `body field "${name}": ${detail}${received}`, {
    code: err.code,
    field: err.field,
  });
}

/**
 * Fetch: 422 `unknown_meter` when the topology has no version of the meter at the edited interval
 * (an instant that does not parse is left to the edit store, which refuses it with its own code).
 */
async function requireKnownMeter(
  topology: TopologyLookup,
  edit: { readonly meter_id: string; readonly interval_start: string },
): Promise<void> {
  const atMs = parseIsoInstant(edit.interval_start);
  if (Number.isNaN(atMs)) return;
  const check = await topology.meterAt(edit.meter_id, atMs);
  if (check.known) return;
  throw new ApiError(
    422,
    'unknown_meter',
    `body field "meter_id" must be a meter the topology knows at "interval_start": ${check.why} ` +
      '(the batch layer builds days of known meters only, so this edit would never be applied); ' +
      `received ${JSON.stringify(edit.meter_id)}`,
    { in: 'body', field: 'meter_id', meter_id: edit.meter_id, interval_start: edit.interval_start },
  );
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
          "rebuilt with cause 'edit' (job in `rebuild`). The meter must have a topology version at " +
          'interval_start (422 otherwise: the batch layer builds days of known meters only).',
        body: EditRequestSchema,
        response: {
          201: EditCreated,
          202: {
            ...EditStoredUnscheduled,
            description: 'Stored, but its day could not be marked for rebuild',
          },
          409: errorResponse('An edit with this key exists already'),
          422: errorResponse(
            'The meter has no topology version at interval_start: the batch layer would never apply the edit',
          ),
        },
      },
    },
    async (req, reply) => {
      const { edits, jobs } = deps;
      if (!edits) throw dependencyUnavailable('edits', 'the edit store is not configured');
      if (!jobs) throw dependencyUnavailable('jobs', 'the batch job queue is not configured');
      if (!deps.topology)
        throw dependencyUnavailable('topology', 'the topology (AMI_TOPOLOGY_FILE) is not configured');
      const caller = req.apiCaller;
      if (!caller) throw new ApiError(401, 'unauthorized', 'unknown API key');
      await requireKnownMeter(deps.topology, req.body);
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
        if (err instanceof EditValidationError) throw validationError(err, req.body);
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
      for (const [name, value] of [
        ['from', from],
        ['to', to],
      ] as const)
        if (!isValidLocalDate(value))
          throw invalidParameter('querystring', name, value, 'a calendar date YYYY-MM-DD, e.g. 2026-03-01');
      const span = localDaysBetween(from, to);
      if (span < 0) throw invalidParameter('querystring', 'to', to, `a day at or after "from" (${from})`);
      if (span + 1 > MAX_LIST_DAYS)
        throw invalidParameter(
          'querystring',
          'to',
          to,
          `at most ${MAX_LIST_DAYS - 1} days after "from" (${from})`,
          {
            maxDays: MAX_LIST_DAYS,
          },
        );
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

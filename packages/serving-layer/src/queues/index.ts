/**
 * The queue UI for operators: bull-board (@bull-board/api + @bull-board/fastify) at /queues over the
 * batch layer's BullMQ queue (`deps.jobs.queue`: AMI_BATCH_QUEUE under AMI_BATCH_KEY_PREFIX), behind
 * the operator role. The key is taken from x-api-key or, for browsers, from HTTP Basic auth
 * (basic-auth.ts). Every /queues route is hidden from the OpenAPI document (HTML pages, static
 * assets and bull-board's own JSON API are not part of the platform's API). Without a jobs client the
 * routes answer 503 JSON after the role check. Helmet's default CSP suits bull-board's page as is
 * (scripts and styles from the same origin, inline styles allowed, its config a JSON data block).
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { BatchJobs } from '@ami/batch-layer/commands';
import type { FastifyInstance } from 'fastify';
import { dependencyUnavailable } from '../errors.ts';
import type { Role, RouteModule } from '../routes/context.ts';
import { queueAccessHook } from './basic-auth.ts';

export const QUEUES_PATH = '/queues';
export const QUEUE_UI_ROLES: readonly Role[] = ['operator'];

/** Mounts bull-board for `queues` at `QUEUES_PATH` inside `app` (an encapsulated scope). */
async function mountBoard(app: FastifyInstance, queues: readonly BatchJobs['queue'][]): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { description: 'batch layer jobs (SPEC 5)' })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'AMI queues' } },
  });
  serverAdapter.setBasePath(QUEUES_PATH);
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUES_PATH });
}

export const queuesRoutes: RouteModule = async (app, ctx) => {
  app.addHook('onRequest', queueAccessHook(ctx.identifyKey, QUEUE_UI_ROLES));
  const jobs = ctx.deps.jobs;
  if (jobs) {
    await mountBoard(app, [jobs.queue]);
    return;
  }
  const unavailable = () => {
    throw dependencyUnavailable('jobs', 'the queue UI needs the batch job queue, which is not configured');
  };
  for (const url of [QUEUES_PATH, `${QUEUES_PATH}/*`]) app.all(url, { schema: { hide: true } }, unavailable);
};

/**
 * Error and not-found handlers: every failure leaves as JSON `{error, message, details}` (errors.ts).
 * Real faults (500) are logged with their stack; unavailable dependencies (503) as warnings.
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { toApiError } from '../errors.ts';

export function installErrorHandlers(
  app: FastifyInstance,
  notFoundPreHandler?: preHandlerAsyncHookHandler,
): void {
  app.setErrorHandler((err, request, reply) => {
    const mapped = toApiError(err, request.id);
    if (mapped.fault) request.log.error({ err }, 'request failed');
    else if (mapped.status === 503) request.log.warn({ err: describe(err) }, mapped.body.message);
    void reply.code(mapped.status).send(mapped.body);
  });
  app.setNotFoundHandler(notFoundPreHandler ? { preHandler: notFoundPreHandler } : {}, (request, reply) => {
    void reply.code(404).send({
      error: 'not_found',
      message: `no route ${request.method} ${request.url.split('?')[0]?.slice(0, 200) ?? ''}`,
      details: {},
    });
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

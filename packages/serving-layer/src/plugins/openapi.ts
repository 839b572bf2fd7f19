/**
 * OpenAPI 3.1 document at GET /openapi.json (built by @fastify/swagger from every route's TypeBox
 * schemas) and Swagger UI at /docs. The API-key security scheme is `x-api-key` in the header.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { API_KEY_HEADER } from '../auth/authorize.ts';
import { SECURITY_SCHEME } from './route-contract.ts';

export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PREFIX = '/docs';

export async function installOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    // Shared schemas (app.addSchema) appear under components.schemas by their $id.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'AMI lambda platform API',
        version,
        description:
          'Smart-meter data served from two views of one truth: authoritative batch views for the local ' +
          'days the batch layer has published (up to the batch watermark), provisional realtime data for ' +
          'the others. Every value is labelled ' +
          '`authoritative`, `provisional` or `missing`. Errors are JSON `{error, message, details}`.',
      },
      components: {
        securitySchemes: {
          [SECURITY_SCHEME]: {
            type: 'apiKey',
            in: 'header',
            name: API_KEY_HEADER,
            description:
              'API key; each key holds one or more roles: dashboard, analyst, billing, operator, editor',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { validatorUrl: null, persistAuthorization: false, deepLinking: true },
  });
  app.get(OPENAPI_PATH, { schema: { hide: true }, config: { rateLimit: false } }, async (_request, reply) => {
    void reply.type('application/json; charset=utf-8');
    return app.swagger();
  });
}

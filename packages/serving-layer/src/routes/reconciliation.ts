/**
 * GET /v1/reconciliation?date=YYYY-MM-DD (operator, analyst): the stored reconciliation report of a
 * local day (SPEC 5): per transformer, provisional vs authoritative energy with the differences
 * explained by VEE and the unexplained ones. Reports are made by the batch layer after a day is
 * published (readReconciliationReport); a day without one answers 404 naming the date.
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { readReconciliationReport } from '@ami/batch-layer/commands';
import { LocalDateSchema, ReconciliationReportSchema } from '@ami/shared/contracts';
import { isValidLocalDate } from '@ami/shared/time';
import { dependencyUnavailable, errorResponse, invalidParameter, notFound } from '../errors.ts';
import type { RouteModule } from './context.ts';

export const ReconciliationQuery = Type.Object(
  { date: { ...LocalDateSchema, description: 'the local day (AMI_TIMEZONE)' } },
  { additionalProperties: false },
);

export const reconciliationRoutes: RouteModule = (fastify, ctx) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = ctx;

  app.get(
    '/v1/reconciliation',
    {
      preHandler: ctx.authorize(['operator', 'analyst']),
      schema: {
        tags: ['reconciliation'],
        summary: 'Provisional vs authoritative report of a local day',
        querystring: ReconciliationQuery,
        response: {
          200: ReconciliationReportSchema,
          404: errorResponse('No report was made for this date'),
        },
      },
    },
    async (req) => {
      const { s3, bucket, reconciliationPrefix } = deps;
      if (!s3 || bucket === undefined || reconciliationPrefix === undefined)
        throw dependencyUnavailable('s3', 'reconciliation reports are not configured');
      const { date } = req.query;
      if (!isValidLocalDate(date))
        throw invalidParameter('querystring', 'date', date, 'a calendar date YYYY-MM-DD, e.g. 2026-03-01');
      const report = await readReconciliationReport(s3, bucket, reconciliationPrefix, date);
      if (!report) throw notFound(`no reconciliation report for ${date}`, { date });
      return report;
    },
  );
  return Promise.resolve();
};

/**
 * GET /v1/catalog (any role): the published batch views as the API currently serves them — catalog
 * version, batch watermark, commit time, and per view its version, update time, partition range,
 * rows and bytes. One pinned catalog snapshot per request.
 */
import { Type, type TSchema, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ROLES, type RouteModule } from './context.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const ViewSummarySchema = Type.Object(
  {
    view: Type.String({ description: 'Batch view name, e.g. meter_daily' }),
    version: Type.String({ description: 'Version of the view (changes on every publish of it)' }),
    updatedAt: Type.String({ format: 'date-time', description: 'When this view was last published' }),
    partitions: Type.Integer({ minimum: 0 }),
    firstPartition: Nullable(Type.String({ description: "e.g. 'date=2026-03-01' or 'month=2026-03'" })),
    lastPartition: Nullable(Type.String()),
    rows: Type.Integer({ minimum: 0 }),
    bytes: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const CatalogBody = Type.Object(
  {
    version: Nullable(
      Type.String({ description: "Catalog version 'v<seq>'; null when nothing is published" }),
    ),
    seq: Type.Integer({ minimum: 0 }),
    committedAt: Nullable(Type.String({ format: 'date-time' })),
    watermark: Nullable(
      Type.String({
        format: 'date-time',
        description:
          'Batch watermark: end of the run of consecutive published local days that holds the latest ' +
          'published day (never moved back by an old day published late; days before it may have gaps)',
      }),
    ),
    views: Type.Array(ViewSummarySchema),
  },
  { additionalProperties: false },
);

export const catalogRoutes: RouteModule = (instance, ctx) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/v1/catalog',
    {
      preHandler: ctx.authorize(ROLES),
      schema: {
        tags: ['catalog'],
        summary: 'Published batch views, their versions, the watermark and publish times',
        querystring: Type.Object({}, { additionalProperties: false }),
        response: { 200: CatalogBody },
      },
    },
    async () => {
      const summary = await ctx.deps.catalog.withPinned((pinned) => Promise.resolve(pinned.summary()));
      return { ...summary, views: [...summary.views] };
    },
  );
  return Promise.resolve();
};

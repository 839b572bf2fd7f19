/**
 * Catalog documents (JSON in the object store), as TypeBox schemas that double as validators.
 *
 * HEAD.json (small, swapped atomically with a conditional PUT) points to the current snapshot.
 * A snapshot (immutable) lists, for every published view, its version and per partition the files
 * with row counts, bytes, SHA-256 and ETag, plus the batch watermark it implies. `parent` links
 * each snapshot to the one it replaced, so the history is a chain from HEAD.
 *
 * Versions: a partition's `version` is `v<seq>` of the snapshot that last changed it; a view's
 * `version` is the latest of its partitions' versions. `contentHash` is SHA-256 over the sorted
 * (sha256, rows, bytes) of its files: the same inputs give the same hash, whatever the build id.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { InstantSchema, LocalDateSchema } from '../contracts/common.ts';

export const CATALOG_FORMAT = 1;

const Sha256Schema = Type.String({ pattern: '^[0-9a-f]{64}$' });
const VersionSchema = Type.String({ pattern: '^v[1-9][0-9]*$' });
const KeySchema = Type.String({ minLength: 1, maxLength: 1024 });
const Count = Type.Integer({ minimum: 0 });

export const CatalogFileSchema = Type.Object(
  {
    key: KeySchema,
    rows: Count,
    bytes: Count,
    sha256: Sha256Schema,
    etag: Type.String(),
  },
  { additionalProperties: false },
);
export type CatalogFile = Static<typeof CatalogFileSchema>;

export const PartitionEntrySchema = Type.Object(
  {
    version: VersionSchema,
    publishedAt: InstantSchema,
    buildId: Type.String({ minLength: 1, maxLength: 64 }),
    contentHash: Sha256Schema,
    rows: Count,
    bytes: Count,
    /** Set by a rollback: the version whose files this entry restored. */
    restoredFrom: Type.Optional(VersionSchema),
    files: Type.Array(CatalogFileSchema),
  },
  { additionalProperties: false },
);
export type PartitionEntry = Static<typeof PartitionEntrySchema>;

export const ViewEntrySchema = Type.Object(
  {
    version: VersionSchema,
    updatedAt: InstantSchema,
    partitions: Type.Record(
      Type.String({ pattern: '^(date=[0-9]{4}-[0-9]{2}-[0-9]{2}|month=[0-9]{4}-[0-9]{2})$' }),
      PartitionEntrySchema,
    ),
  },
  { additionalProperties: false },
);
export type ViewEntry = Static<typeof ViewEntrySchema>;

export const SnapshotRefSchema = Type.Object(
  { seq: Type.Integer({ minimum: 1 }), key: KeySchema },
  { additionalProperties: false },
);
export type SnapshotRef = Static<typeof SnapshotRefSchema>;

export const CatalogSnapshotSchema = Type.Object(
  {
    format: Type.Literal(CATALOG_FORMAT),
    seq: Type.Integer({ minimum: 1 }),
    parent: Type.Union([SnapshotRefSchema, Type.Null()]),
    committedAt: InstantSchema,
    timeZone: Type.String({ minLength: 1 }),
    /**
     * End (start of the next local day) of the run of consecutive published days that holds the
     * latest published day, or null when nothing is published (published.ts, batch watermark.ts).
     */
    watermark: Type.Union([InstantSchema, Type.Null()]),
    /** First and last local day of the run of consecutive published days the watermark ends. */
    firstPublishedDay: Type.Union([LocalDateSchema, Type.Null()]),
    lastContiguousDay: Type.Union([LocalDateSchema, Type.Null()]),
    /** Why this snapshot was made: 'nightly', 'late_data', 'edit', 'backfill', 'rollback', … */
    cause: Type.String({ minLength: 1, maxLength: 64 }),
    views: Type.Record(Type.String(), ViewEntrySchema),
  },
  { additionalProperties: false },
);
export type CatalogSnapshot = Static<typeof CatalogSnapshotSchema>;

export const CatalogHeadSchema = Type.Object(
  {
    format: Type.Literal(CATALOG_FORMAT),
    seq: Type.Integer({ minimum: 1 }),
    snapshot: KeySchema,
    committedAt: InstantSchema,
  },
  { additionalProperties: false },
);
export type CatalogHead = Static<typeof CatalogHeadSchema>;

const SnapshotCheck = TypeCompiler.Compile(CatalogSnapshotSchema);
const HeadCheck = TypeCompiler.Compile(CatalogHeadSchema);

export class CatalogFormatError extends Error {
  constructor(what: string, detail: string) {
    super(`invalid catalog ${what}: ${detail}`);
    this.name = 'CatalogFormatError';
  }
}

function firstError(
  check: { Errors(v: unknown): Iterable<{ path: string; message: string }> },
  v: unknown,
): string {
  for (const e of check.Errors(v)) return `${e.path || '/'} ${e.message}`;
  return 'unknown error';
}

export function parseSnapshot(json: string): CatalogSnapshot {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (err) {
    throw new CatalogFormatError('snapshot', err instanceof Error ? err.message : String(err));
  }
  if (!SnapshotCheck.Check(v)) throw new CatalogFormatError('snapshot', firstError(SnapshotCheck, v));
  return v;
}

export function parseHead(json: string): CatalogHead {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (err) {
    throw new CatalogFormatError('HEAD', err instanceof Error ? err.message : String(err));
  }
  if (!HeadCheck.Check(v)) throw new CatalogFormatError('HEAD', firstError(HeadCheck, v));
  return v;
}

/** Serialises with keys in a fixed order (views and partitions sorted), so equal content gives equal bytes. */
export function serializeSnapshot(s: CatalogSnapshot): string {
  return JSON.stringify(canonical(s)) + '\n';
}

export function serializeHead(h: CatalogHead): string {
  return JSON.stringify(canonical(h)) + '\n';
}

/** Copy with object keys sorted recursively (arrays keep their order). */
export function canonical<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => canonical(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = canonical(v);
    }
    return out as T;
  }
  return value;
}

/** Recursively freezes a parsed document so a pinned snapshot cannot be changed by a reader. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

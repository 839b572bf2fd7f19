/**
 * Every parameter of every route, one wrong value at a time (#17 "errors that help"). The operations,
 * their query and path parameters and their body fields come from the app's own OpenAPI document,
 * so a new route or parameter is walked without touching this file. The app is built as main.ts
 * builds it — every feature route over real Redis, MinIO, DuckDB and BullMQ, with an edit store, a
 * job queue, an alert store prefix and a topology — over an empty catalog.
 *
 * Per parameter:
 *  - values its schema refuses (a value of no enum, a string its pattern or lengths refuse, a number
 *    of the wrong type or out of bounds, a missing required one) answer 400 with a message naming
 *    the parameter, what it allows (every enum value, the bounds, the pattern's words from
 *    formats.ts) and what was received; an undeclared parameter is named with the declared ones;
 *  - values the schema admits that a handler may still refuse (the digits of a valid value all 9 or
 *    all 0, its year 9999 or 0001) never answer 5xx, and a 400 names the parameter and the value.
 * Every pattern a route declares has words in formats.ts, and its example matches it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBatchJobSettings } from '@ami/batch-layer';
import { BatchJobs, DirtyDays, EditStore, clearDirtyDays } from '@ami/batch-layer/commands';
import { createRedis } from '@ami/shared/clients';
import { LocalDateSchema, type TopologyRow } from '@ami/shared/contracts';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { featureRoutes } from '../src/app.ts';
import { ISO_INSTANT_PATTERN, formatOfPattern, stringFormatOf } from '../src/formats.ts';
import { ROLES, type Role } from '../src/routes/context.ts';
import { topologyOfRows } from '../src/topology.ts';
import { buildTestApi, realDeps, type TestApi, type TestDeps } from './support/app.ts';
import { deletePrefix } from './support/catalog.ts';

/** The bits of the document's JSON schemas the walk reads. */
interface JsonSchema {
  readonly type?: string;
  readonly pattern?: string;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly JsonSchema[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly default?: unknown;
}
interface DocParameter {
  readonly name: string;
  readonly in: string;
  readonly required?: boolean;
  readonly schema: JsonSchema;
}
interface DocOperation {
  readonly description?: string;
  readonly parameters?: readonly DocParameter[];
  readonly requestBody?: { readonly content: Readonly<Record<string, { readonly schema: JsonSchema }>> };
  readonly responses: Readonly<Record<string, { readonly content?: Readonly<Record<string, unknown>> }>>;
}
interface Doc {
  readonly paths: Readonly<Record<string, Readonly<Record<string, DocOperation>>>>;
}

type Part = 'query' | 'path' | 'body';
interface Field {
  readonly part: Part;
  readonly name: string;
  readonly required: boolean;
  readonly schema: JsonSchema;
}
interface WalkedOperation {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** The first role the operation admits (undefined: public). */
  readonly role: Role | undefined;
  readonly fields: readonly Field[];
  /** A server-sent event stream: never sent a request it would accept (it would not end). */
  readonly streams: boolean;
}

const LOCAL_DATE_PATTERN = LocalDateSchema.pattern;
/** Meter and service point of the topology (the ID example of formats.ts). */
const METER = 'MTR-000001';

function topologyRow(): TopologyRow {
  return {
    meter_id: METER,
    service_point_id: METER,
    customer_id: 'CUST-1',
    transformer_id: 'TX-1',
    feeder_id: 'FDR-1',
    substation_id: 'SUB-1',
    region: 'R1',
    segment: 'residential',
    tariff: 'flat',
    prosumer: false,
    valid_from: '2000-01-01T00:00:00Z',
    valid_to: null,
  };
}

function walkedOperations(doc: Doc): WalkedOperation[] {
  const out: WalkedOperation[] = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops)) {
      const role = /Roles: ([a-z]+)/.exec(op.description ?? '')?.[1] as Role | undefined;
      const params = (op.parameters ?? [])
        .filter((p) => p.in === 'query' || p.in === 'path')
        .map((p): Field => ({
          part: p.in as Part,
          name: p.name,
          required: p.required === true,
          schema: p.schema,
        }));
      const body = op.requestBody?.content['application/json']?.schema;
      const bodyFields = Object.entries(body?.properties ?? {}).map(([name, schema]): Field => ({
        part: 'body',
        name,
        required: body?.required?.includes(name) ?? false,
        schema,
      }));
      out.push({
        method: method.toUpperCase() as 'GET' | 'POST',
        path,
        role: role !== undefined && (ROLES as readonly string[]).includes(role) ? role : undefined,
        fields: [...params, ...bodyFields],
        streams: Object.keys(op.responses['200']?.content ?? {}).includes('text/event-stream'),
      });
    }
  return out;
}

/** The values of a union of literals (OpenAPI writes a TypeBox literal as a one-value enum). */
function literals(s: JsonSchema): unknown[] | undefined {
  if (s.enum !== undefined) return [...s.enum];
  if (s.anyOf === undefined) return undefined;
  const values = s.anyOf.map(literals);
  return values.every((v) => v !== undefined) ? values.flat() : undefined;
}

const branches = (s: JsonSchema): readonly JsonSchema[] => s.anyOf ?? [s];
const typesOf = (s: JsonSchema): string[] =>
  branches(s).flatMap((b) => (b.type === undefined ? [] : [b.type]));
const branchOf = (s: JsonSchema, type: string): JsonSchema => branches(s).find((b) => b.type === type) ?? s;

/** A value of the field its schema and the handlers accept, consistent with the others' (from < to). */
function validValue(f: Field): unknown {
  const s = f.schema;
  const values = literals(s);
  if (values !== undefined) return values[0];
  if (s.default !== undefined) return s.default;
  if (s.type === 'integer' || s.type === 'number') return s.minimum ?? 1;
  if (s.type === 'boolean') return true;
  if (s.pattern === ISO_INSTANT_PATTERN)
    return f.name === 'to' ? '2026-03-01T06:00:00Z' : '2026-03-01T00:00:00Z';
  if (s.pattern === LOCAL_DATE_PATTERN) return f.name === 'to' ? '2026-03-02' : '2026-03-01';
  if (s.pattern !== undefined) return stringFormatOf(s.pattern)?.example;
  if (f.name === 'interval_start') return '2026-03-01T00:00:00Z';
  return undefined;
}

/** Whether a string schema refuses `v`. */
function refuses(s: JsonSchema, v: string): boolean {
  if (s.minLength !== undefined && v.length < s.minLength) return true;
  if (s.maxLength !== undefined && v.length > s.maxLength) return true;
  return s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v);
}

/** Values the field's schema refuses: the wrong type, out of bounds, outside the enum or pattern. */
function wrongValues(f: Field): (string | number)[] {
  const s = f.schema;
  const values = literals(s);
  if (values !== undefined) return [`not-${String(values[0])}`];
  const out: (string | number)[] = [];
  const types = typesOf(s);
  const numeric = types.includes('integer') ? 'integer' : types.includes('number') ? 'number' : undefined;
  if (numeric !== undefined) {
    const n = branchOf(s, numeric);
    out.push('abc');
    if (numeric === 'integer') out.push(f.part === 'body' ? 1.5 : '1.5');
    if (n.minimum !== undefined) out.push(n.minimum - 1);
    if (n.maximum !== undefined) out.push(n.maximum + 1);
  }
  if (types.includes('string')) {
    const str = branchOf(s, 'string');
    if (f.part === 'body') out.push(12345);
    const refused = ['!', '   ', ''].find((c) => refuses(str, c) && !(f.part === 'path' && c.trim() === ''));
    if (refused !== undefined) out.push(refused);
    if (str.maxLength !== undefined && str.maxLength < 190) out.push('x'.repeat(str.maxLength + 1));
  }
  if (types.includes('boolean')) out.push('maybe');
  return out;
}

/** Values the schema admits that a handler may refuse: digits all 9 or all 0, year 9999 or 0001. */
function borderValues(valid: unknown): string[] {
  if (typeof valid !== 'string' || !/[0-9]/.test(valid)) return [];
  const out = [
    valid.replace(/[0-9]/g, '9'),
    valid.replace(/[0-9]/g, '0'),
    valid.replace(/^[0-9]{4}/, '9999'),
    valid.replace(/^[0-9]{4}/, '0001'),
  ];
  return [...new Set(out)].filter((v) => v !== valid);
}

/** What the message must name as allowed: every enum value, the bounds, the pattern's words. */
function allowedTokens(s: JsonSchema): string[] {
  const values = literals(s);
  if (values !== undefined) return values.map(String);
  if (s.anyOf !== undefined) return s.anyOf.flatMap(allowedTokens);
  switch (s.type) {
    case 'integer':
    case 'number':
      return [s.minimum, s.maximum].filter((x) => x !== undefined).map(String);
    case 'string': {
      if (s.pattern === undefined)
        return [s.minLength, s.maxLength].filter((x) => x !== undefined).map(String);
      const words = formatOfPattern(s.pattern);
      if (words === undefined) throw new Error(`pattern ${s.pattern} has no words in src/formats.ts`);
      return [words];
    }
    case 'null':
      return ['null'];
    case 'boolean':
      return ['true', 'false'];
    default:
      return [];
  }
}

interface Sent {
  readonly status: number;
  readonly message: string;
  readonly where: string;
}

describe('every parameter of every route, one wrong value at a time', () => {
  const config = integrationConfig();
  const id = uniqueName('walk');
  const prefix = `it/${id}/`;
  const queueRedis = createRedis(config, { forBullMQ: true });
  let deps: TestDeps;
  let api: TestApi;
  let jobs: BatchJobs;
  let operations: WalkedOperation[];

  beforeAll(async () => {
    deps = await realDeps(config, `${prefix}catalog/`);
    const tz = deps.deps.timeZone;
    jobs = new BatchJobs({
      connection: queueRedis,
      settings: loadBatchJobSettings({ AMI_BATCH_QUEUE: id, AMI_BATCH_KEY_PREFIX: 'bullwalk' }),
      timeZone: tz,
    });
    const edits = new EditStore({
      s3: deps.s3,
      bucket: deps.bucket,
      prefix,
      timeZone: tz,
      dirtyDays: new DirtyDays(deps.deps.redis, id),
    });
    api = await buildTestApi({
      deps: {
        ...deps.deps,
        s3: deps.s3,
        bucket: deps.bucket,
        reconciliationPrefix: prefix,
        jobs,
        edits,
        alertKeyPrefix: id.replace(/[^A-Za-z0-9._-]/g, '').slice(0, 32),
        topology: topologyOfRows([topologyRow()]),
      },
      routes: featureRoutes,
    });
    operations = walkedOperations((await api.app.inject({ url: '/openapi.json' })).json<Doc>());
  });

  afterAll(async () => {
    await api?.app.close();
    await jobs?.queue.obliterate({ force: true });
    await jobs?.close();
    queueRedis.disconnect();
    if (deps) {
      await clearDirtyDays(deps.deps.redis, id);
      await deletePrefix(deps.s3, deps.bucket, prefix);
      await deps.close();
    }
  });

  /** The operation with every required field valid, `changes` applied (undefined = left out). */
  async function send(
    op: WalkedOperation,
    changes: Readonly<Record<string, unknown>>,
    extra?: { readonly part: 'query' | 'body'; readonly name: string },
  ): Promise<Sent> {
    const values = new Map<Field, unknown>();
    for (const f of op.fields) {
      const value = Object.hasOwn(changes, f.name) ? changes[f.name] : f.required ? validValue(f) : undefined;
      if (value !== undefined) values.set(f, value);
    }
    let url = op.path;
    const query = new URLSearchParams();
    const body: Record<string, unknown> = {};
    for (const [f, v] of values) {
      if (f.part === 'path') url = url.replace(`{${f.name}}`, encodeURIComponent(String(v)));
      else if (f.part === 'query') query.append(f.name, String(v));
      else body[f.name] = v;
    }
    if (extra?.part === 'query') query.append(extra.name, '1');
    if (extra?.part === 'body') body[extra.name] = 1;
    const search = query.toString();
    const hasBody = op.fields.some((f) => f.part === 'body');
    const res = await api.app.inject({
      method: op.method,
      url: search === '' ? url : `${url}?${search}`,
      headers: op.role === undefined ? {} : { 'x-api-key': api.keys[op.role] },
      ...(hasBody ? { payload: body } : {}),
    });
    const parsed = res.headers['content-type']?.toString().startsWith('application/json')
      ? res.json<{ message?: unknown }>()
      : {};
    return {
      status: res.statusCode,
      message: typeof parsed.message === 'string' ? parsed.message : '',
      where: `${op.method} ${url}${search === '' ? '' : `?${search}`} ${hasBody ? JSON.stringify(body) : ''}`,
    };
  }

  /** A refused value: 400 naming the field, what it allows and (when sent) what was received. */
  function expectHelpful(r: Sent, f: Field, sent: string | number | undefined): void {
    expect(r.status, r.where).toBe(400);
    expect(r.message, r.where).toContain(`"${f.name}"`);
    for (const token of allowedTokens(f.schema)) expect(r.message, r.where).toContain(token);
    if (sent === undefined) expect(r.message, r.where).toContain('is required');
    else {
      expect(r.message, r.where).toContain('received ');
      expect(r.message, r.where).toContain(String(sent));
    }
  }

  it('walks a document with the routes and fields it should have', () => {
    const fields = operations.flatMap((o) =>
      o.fields.map((f) => `${o.method} ${o.path} ${f.part}:${f.name}`),
    );
    expect(fields).toEqual(
      expect.arrayContaining([
        'GET /v1/analytics/aggregate query:metric',
        'GET /v1/meters/{meterId}/series path:meterId',
        'GET /v1/alerts query:since',
        'GET /v1/alerts query:cursor',
        'POST /v1/edits body:meter_id',
        'GET /v1/jobs/{id} path:id',
        'GET /v1/billing/determinants query:period',
      ]),
    );
    expect(fields.length).toBeGreaterThan(40);
  });

  it('names every pattern in words with an example that matches it', () => {
    const patterns = new Set(
      operations.flatMap((o) => o.fields.flatMap((f) => branches(f.schema).flatMap((b) => b.pattern ?? []))),
    );
    expect(patterns.size).toBeGreaterThan(5);
    for (const pattern of patterns) {
      const format = stringFormatOf(pattern);
      expect(format, `pattern ${pattern} has words in src/formats.ts`).toBeDefined();
      if (format?.example !== undefined)
        expect(new RegExp(pattern, 'u').test(format.example), `${pattern} ${format.example}`).toBe(true);
    }
  });

  it('answers each refused value with a 400 naming the parameter, what it allows and what it got', async () => {
    let walked = 0;
    for (const op of operations)
      for (const f of op.fields) {
        for (const wrong of wrongValues(f)) {
          expectHelpful(await send(op, { [f.name]: wrong }), f, wrong);
          walked++;
        }
        // a field with a default is never missing (ajv fills it in)
        if (f.required && f.part !== 'path' && f.schema.default === undefined) {
          expectHelpful(await send(op, { [f.name]: undefined }), f, undefined);
          walked++;
        }
      }
    expect(walked).toBeGreaterThan(80);
  });

  it('names the declared parameters when an undeclared one is sent', async () => {
    for (const op of operations)
      for (const part of ['query', 'body'] as const) {
        const declared = op.fields.filter((f) => f.part === part);
        if (declared.length === 0) continue;
        const r = await send(op, {}, { part, name: 'unknown_param' });
        expect(r.status, r.where).toBe(400);
        expect(r.message, r.where).toContain('"unknown_param" is not allowed');
        for (const f of declared) expect(r.message, r.where).toContain(f.name);
      }
  });

  it('never answers 5xx to a value the schema admits, and a 400 names the parameter', async () => {
    let walked = 0;
    for (const op of operations)
      for (const f of op.fields) {
        for (const border of borderValues(validValue(f))) {
          const admitted = !branches(f.schema).some((b) => b.type === 'string' && refuses(b, border));
          // an admitted value would open the event stream, which never ends: those are not sent
          if (admitted && op.streams) continue;
          const r = await send(op, { [f.name]: border });
          if (!admitted) {
            expectHelpful(r, f, border);
          } else {
            expect(r.status, r.where).toBeLessThan(500);
            if (r.status === 400) {
              expect(r.message, r.where).toContain(`"${f.name}"`);
              expect(r.message, r.where).toContain(border);
            }
          }
          walked++;
        }
      }
    expect(walked).toBeGreaterThan(30);
  });
});

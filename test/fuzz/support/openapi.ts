/**
 * Requests generated from the API's own OpenAPI document (GET /openapi.json): for every operation,
 * path and query parameters and JSON bodies that are valid (values the test data holds, values
 * drawn from the parameter's schema, boundaries), or hostile (SQL and DuckDB injection, path
 * traversal, Redis globs and hash tags, CRLF, NUL, very long and odd unicode strings, prototype
 * pollution keys, repeated and unknown parameters, malformed bodies), sent with each role's key,
 * with no key, an unknown key or garbage. Also the response checks: ajv over the document's own
 * schemas (JSON Schema 2020-12, as OpenAPI 3.1 uses).
 */
import fc from 'fast-check';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';

/** The bits of an OpenAPI 3.1 document used here. */
export interface JsonSchema {
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
interface ParameterObject {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required?: boolean;
  readonly schema: JsonSchema;
}
interface OperationObject {
  readonly description?: string;
  readonly security?: readonly unknown[];
  readonly parameters?: readonly ParameterObject[];
  readonly requestBody?: { readonly content: Readonly<Record<string, { readonly schema: JsonSchema }>> };
  readonly responses: Readonly<Record<string, { readonly content?: Readonly<Record<string, unknown>> }>>;
}
export interface OpenApiDoc {
  readonly paths: Readonly<Record<string, Readonly<Record<string, OperationObject>>>>;
  readonly components: { readonly schemas: Readonly<Record<string, unknown>> };
}

export type Caller = string; // a role, or 'no key' | 'unknown key' | 'garbage key'
export const NON_ROLE_CALLERS = ['no key', 'unknown key', 'garbage key'] as const;

export interface Operation {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly op: OperationObject;
  /** Roles admitted; 'public' = no key needed. */
  readonly roles: readonly string[] | 'public';
  readonly params: readonly ParameterObject[];
  readonly body: JsonSchema | undefined;
}

/** Every operation of the document, with the roles its description names ("Roles: a, b."). */
export function operationsOf(doc: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops)) {
      const roles = /Roles: ([a-z, ]+)\./.exec(op.description ?? '')?.[1]?.split(', ');
      out.push({
        method: method.toUpperCase() as 'GET' | 'POST',
        path,
        op,
        roles: op.security === undefined || roles === undefined ? 'public' : roles,
        params: (op.parameters ?? []).filter((p) => p.in === 'path' || p.in === 'query'),
        body: op.requestBody?.content['application/json']?.schema,
      });
    }
  return out;
}

/** Strings aimed at SQL / DuckDB, the file system, Redis keys and globs, headers, logs and parsers. */
export const HOSTILE_STRINGS: readonly string[] = [
  "' OR 1=1 --",
  "' OR '1'='1",
  "'; DROP TABLE meter_daily; --",
  '; DROP',
  '1; DROP TABLE reads',
  '" OR ""="',
  "read_csv('/etc/passwd')",
  "x' UNION SELECT * FROM read_csv_auto('/etc/passwd') --",
  "'; COPY (SELECT 1) TO '/tmp/ami-fuzz-pwned.csv'; --",
  "'; INSTALL httpfs; LOAD httpfs; --",
  "getenv('HOME')",
  "') OR glob('/*') --",
  '../',
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e/%2e%2e/',
  '....//....//',
  '/etc/passwd',
  'it/../../',
  'C:\\Windows\\win.ini',
  '*',
  '?',
  '[a-z]*',
  '{tag}',
  '{rv:0}:fence',
  '\\*',
  'a\r\nX-Injected: 1',
  '\r\n\r\n',
  '\u0000',
  'a\u0000b',
  '%00',
  'A'.repeat(65),
  'A'.repeat(5000),
  'ＭＴＲ－０００００１',
  '😀',
  '\u202e',
  '\ud800',
  'İ',
  'ß',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '0x10',
  '1.5',
  '-1',
  '99999999999999999999',
  '',
  ' ',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '{"$gt":""}',
  '__proto__',
  'constructor',
  'prototype',
  '2026-02-30',
  '0000-01-01',
  '9999-12-31',
  '2026-02-01T00:00:00',
  '2026-02-01T24:00:00Z',
  '+275760-09-13T00:00:00Z',
  '2026-02-01T00:00:00+14:00',
  '1970-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59-23:59',
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '%s%n',
];

/** Values the test data holds, per parameter or body field name (makes 2xx answers with data likely). */
export type KnownValues = Readonly<Record<string, readonly (string | number | null)[]>>;

const utf8PercentEncode = (s: string): string =>
  [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** Percent-encoding; `raw` leaves the characters that make traversal and injection visible unencoded. */
function encode(s: string, raw: boolean): string {
  let e: string;
  try {
    e = encodeURIComponent(s);
  } catch {
    e = utf8PercentEncode(s); // lone surrogates: their UTF-8 replacement bytes
  }
  if (!raw) return e;
  return e.replace(/%(2F|2E|2A|7B|7D|24|27|22|28|29|3B|2C|3D|5B|5D|40|3A|21|7E)/gi, (m) =>
    decodeURIComponent(m),
  );
}

/** Values from a schema: enum members, boundaries, pattern matches, or any string. */
function fromSchema(s: JsonSchema): fc.Arbitrary<unknown> {
  if (s.anyOf) return fc.oneof(...s.anyOf.map(fromSchema));
  if (s.enum) return fc.constantFrom(...s.enum);
  if (s.type === 'null') return fc.constant(null);
  if (s.type === 'integer' || s.type === 'number') {
    const min = s.minimum ?? -1_000_000;
    const max = s.maximum ?? 1_000_000;
    return fc.oneof(
      fc.integer({ min: Math.max(min, -2_000_000_000), max: Math.min(max, 2_000_000_000) }),
      fc.constantFrom(min, max, min - 1, max + 1, 0),
    );
  }
  if (s.type === 'string') {
    const pattern = s.pattern;
    if (pattern !== undefined && pattern !== '\\S')
      return fc.stringMatching(new RegExp(pattern)).filter((x) => x.length <= (s.maxLength ?? 200));
    return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 60) });
  }
  if (s.type === 'boolean') return fc.boolean();
  return fc.constant('x');
}

const hostileArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
);

/**
 * How a request is made: every value valid (known to the data, or drawn from its schema), one value
 * hostile and the rest valid, or every value independently anything.
 */
type Mode = 'valid' | 'one-hostile' | 'chaos';
const modeArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Mode>('valid') },
  { weight: 4, arbitrary: fc.constant<Mode>('one-hostile') },
  { weight: 2, arbitrary: fc.constant<Mode>('chaos') },
);

/** A valid value: one the test data holds, else one drawn from the schema. */
function validValueArb(name: string, schema: JsonSchema, known: KnownValues): fc.Arbitrary<unknown> {
  const good = known[name] ?? [];
  return good.length > 0 ? fc.constantFrom(...good) : fromSchema(schema);
}

/** One parameter's value in each mode (undefined = left out). */
function paramValuesArb(
  p: ParameterObject,
  known: KnownValues,
): fc.Arbitrary<{ valid: string | undefined; hostile: string | undefined; chaos: string | undefined }> {
  const valid = validValueArb(p.name, p.schema, known).map((v) => String(v));
  // optional parameters mostly left out: together they tend to conflict (filters, formats)
  const validOrOmitted: fc.Arbitrary<string | undefined> = p.required
    ? valid
    : fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: valid });
  // schema-drawn values (they match the pattern, not the calendar) and boundaries count as hostile here
  const hostile = fc.oneof(
    { weight: 6, arbitrary: hostileArb },
    { weight: 2, arbitrary: fromSchema(p.schema).map((v) => String(v)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  return fc.record({
    valid: validOrOmitted,
    hostile,
    chaos: fc.oneof({ weight: 2, arbitrary: validOrOmitted }, { weight: 1, arbitrary: hostile }),
  });
}

export interface FuzzRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly caller: Caller;
  readonly mode: Mode;
  readonly headers: Readonly<Record<string, string>>;
  /** Raw body text (POST). */
  readonly body?: string;
}

/** x-api-key of a caller; garbage keys are printable ASCII (what an HTTP client can send). */
function keyHeaderArb(
  keys: Readonly<Record<string, string>>,
  unknownKey: string,
): fc.Arbitrary<[Caller, string | undefined]> {
  const roles = Object.keys(keys);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...roles).map((r): [Caller, string] => [r, keys[r]!]) },
    { weight: 1, arbitrary: fc.constant<[Caller, undefined]>(['no key', undefined]) },
    { weight: 1, arbitrary: fc.constant<[Caller, string]>(['unknown key', unknownKey]) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.string({
            unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
            maxLength: 300,
          }),
          fc.constantFrom(...roles).map((r) => `${keys[r]!} `),
          fc.constantFrom(...roles).map((r) => keys[r]!.toUpperCase()),
          fc.constantFrom(...roles).map((r) => `${keys[r]!},${keys[r]!}`),
          fc.constantFrom(...roles).map((r) => keys[r]!.slice(0, -1)),
          fc.constant('x'.repeat(8000)),
          fc.constantFrom("' OR 1=1 --", '*', '{tag}', '../../etc/passwd'),
        )
        .map((k): [Caller, string] => ['garbage key', k]),
    },
  );
}

/** A JSON body from the operation's body schema in a mode, or (hostile) not a usable body at all. */
function bodyArb(
  schema: JsonSchema,
  known: KnownValues,
  mode: Mode,
): fc.Arbitrary<{ text: string; contentType: string }> {
  const props = Object.entries(schema.properties ?? {});
  const wrong = fc.oneof(
    { weight: 3, arbitrary: hostileArb },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 1.5, -1, true, [], {}, 1e308, '1'.repeat(400)) },
  );
  const fieldArbs = props.map(([name, s]) => {
    const required = schema.required?.includes(name) ?? false;
    const valid = validValueArb(name, s, known);
    const validOrOmitted = required ? valid : fc.option(valid, { freq: 2, nil: undefined });
    return fc.record({
      name: fc.constant(name),
      valid: validOrOmitted,
      hostile: fc.option(fc.oneof({ weight: 3, arbitrary: wrong }, { weight: 1, arbitrary: fromSchema(s) }), {
        freq: 6,
        nil: undefined,
      }),
      chaos: fc.oneof(validOrOmitted, fc.option(wrong, { freq: 3, nil: undefined })),
    });
  });
  const json = (fields: readonly (readonly [string, unknown])[], extra: string | undefined) => {
    const parts = fields
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    if (extra !== undefined) parts.unshift(`${JSON.stringify(extra)}:{"polluted":true}`);
    return `{${parts.join(',')}}`;
  };
  const extraArb = fc.constantFrom('__proto__', 'constructor', 'extra', 'prototype');
  const asJson = (text: string) => ({ text, contentType: 'application/json' });
  const objectArb = fc
    .tuple(fc.tuple(...fieldArbs), fc.nat(), fc.option(extraArb, { freq: 6, nil: undefined }))
    .map(([fields, at, extra]) => {
      if (mode === 'valid')
        return json(
          fields.map((f) => [f.name, f.valid] as const),
          undefined,
        );
      if (mode === 'chaos')
        return json(
          fields.map((f) => [f.name, f.chaos] as const),
          extra,
        );
      const i = fields.length === 0 ? 0 : at % fields.length;
      return json(
        fields.map((f, j) => [f.name, j === i ? f.hostile : f.valid] as const),
        at % 5 === 0 ? (extra ?? '__proto__') : undefined,
      );
    });
  if (mode === 'valid') return objectArb.map(asJson);
  const raw = fc.constantFrom(
    '',
    'not json',
    '{',
    '[]',
    'null',
    '"x"',
    '{"a":'.repeat(2000) + '1' + '}'.repeat(2000),
    JSON.stringify({ pad: 'x'.repeat(70_000) }),
    '\u0000',
  );
  return fc.oneof(
    { weight: 8, arbitrary: objectArb.map(asJson) },
    { weight: 2, arbitrary: raw.map(asJson) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          objectArb,
          fc.constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/json; charset=utf-16',
            'multipart/form-data',
          ),
        )
        .map(([text, contentType]) => ({ text, contentType })),
    },
  );
}

/** Requests of one operation. */
export function requestArb(
  o: Operation,
  known: KnownValues,
  keys: Readonly<Record<string, string>>,
  unknownKey: string,
): fc.Arbitrary<FuzzRequest> {
  const paramArbs = o.params.map((p) =>
    fc.tuple(fc.constant(p), paramValuesArb(p, known), fc.boolean(), fc.integer({ min: 0, max: 9 })),
  );
  const extrasArb = fc.option(
    fc.constantFrom(
      'unknown=1',
      '__proto__[polluted]=1',
      'constructor[prototype][polluted]=1',
      '__proto__=1',
      'a[b]=c',
      '%00=1',
      '&&&',
      '=',
    ),
    { freq: 4, nil: undefined },
  );
  const admitted = o.roles === 'public' ? Object.keys(keys) : o.roles.filter((r) => keys[r] !== undefined);
  return modeArb.chain((mode) =>
    fc
      .tuple(
        fc.tuple(...paramArbs),
        fc.nat(),
        mode === 'valid' ? fc.constant(undefined) : extrasArb,
        mode === 'valid' && admitted.length > 0
          ? fc.oneof(
              {
                weight: 8,
                arbitrary: fc.constantFrom(...admitted).map((r): [Caller, string] => [r, keys[r]!]),
              },
              { weight: 1, arbitrary: keyHeaderArb(keys, unknownKey) },
            )
          : keyHeaderArb(keys, unknownKey),
        o.body === undefined ? fc.constant(undefined) : bodyArb(o.body, known, mode),
      )
      .map(([params, at, extra, [caller, key], body]) => {
        const hostileAt = params.length === 0 ? -1 : at % params.length;
        let path = o.path;
        const query: string[] = [];
        params.forEach(([p, values, raw, dup], i) => {
          const value =
            mode === 'valid'
              ? values.valid
              : mode === 'chaos'
                ? values.chaos
                : i === hostileAt
                  ? values.hostile
                  : values.valid;
          const rawEncoding = mode !== 'valid' && raw;
          if (p.in === 'path') {
            path = path.replace(`{${p.name}}`, value === undefined ? '' : encode(value, rawEncoding));
            return;
          }
          if (value === undefined) return;
          query.push(`${encodeURIComponent(p.name)}=${encode(value, rawEncoding)}`);
          if (mode !== 'valid' && dup === 0)
            query.push(`${encodeURIComponent(p.name)}=${encode(value, rawEncoding)}`);
        });
        if (extra !== undefined) query.push(extra);
        const headers: Record<string, string> = key === undefined ? {} : { 'x-api-key': key };
        if (body !== undefined) headers['content-type'] = body.contentType;
        return {
          method: o.method,
          url: query.length > 0 ? `${path}?${query.join('&')}` : path,
          caller,
          mode,
          headers,
          ...(body === undefined ? {} : { body: body.text }),
        };
      }),
  );
}

/** Validators of the document's schemas (JSON Schema 2020-12), refs resolved against the document. */
export class DocSchemas {
  private readonly ajv: Ajv2020;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(doc: OpenApiDoc) {
    this.ajv = new Ajv2020({ strict: false, allErrors: false, validateSchema: false });
    (addFormatsPlugin as unknown as (a: Ajv2020) => void)(this.ajv);
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema({ ...doc, $id: 'urn:ami:openapi' });
  }

  /** Validator of the schema at a JSON pointer of the document. */
  at(pointer: readonly string[]): ValidateFunction {
    const ref = `urn:ami:openapi#/${pointer.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
    let v = this.cache.get(ref);
    if (v === undefined) {
      v = this.ajv.compile({ $ref: ref });
      this.cache.set(ref, v);
    }
    return v;
  }

  errorsText(v: ValidateFunction): string {
    return this.ajv.errorsText(v.errors);
  }
}

/**
 * The one place where ajv's validation errors become the issues and the message of a 400
 * `validation_failed` answer (errors.ts `toApiError`). Every issue names the field, what was received
 * and what is allowed:
 *  - an enum — a TypeBox union of literals, which ajv reports as one `const` failure per allowed
 *    value and then `anyOf` — is ONE issue listing the values (`must be one of a|b|c`);
 *  - any other union (e.g. a number or null) is one issue naming each alternative;
 *  - a pattern is named in words with an example (formats.ts), never as a bare regular expression;
 *  - numbers say their bounds, strings their lengths, objects the fields they accept.
 * It reads ajv's `verbose` output (`parentSchema`: the schema that failed, `data`: the value), which
 * the request validators turn on (plugins/validation.ts).
 */
import { formatOfPattern } from './formats.ts';

/** One ajv error (ErrorObject with `verbose`), as Fastify hands it over in `err.validation`. */
export interface AjvIssue {
  readonly keyword?: string;
  readonly instancePath?: string;
  readonly message?: string;
  readonly params?: Record<string, unknown>;
  readonly data?: unknown;
  readonly parentSchema?: unknown;
}

/** One issue of a 400 body: `details.issues[]`. */
export interface ValidationIssue {
  /** The offending field, dotted ('' = the whole part). */
  readonly field: string;
  /** The JSON-Schema keyword that failed; `enum` for a union of literals. */
  readonly rule: string;
  /** What is wrong, without the field's name: `must be one of a|b`, `is required: …`. */
  readonly message: string;
  /** What the field allows, in words. */
  readonly allowed: string;
  /** The value received (JSON, at most 80 characters); absent for a missing field. */
  readonly received?: string;
}

/** The bits of a JSON schema that describe what it allows. */
interface Schema {
  readonly type?: unknown;
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly description?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
}

const asSchema = (s: unknown): Schema | undefined => (s !== null && typeof s === 'object' ? s : undefined);

/** A value as the issue shows it: JSON (numbers as written, ±Infinity too), at most 80 characters. */
export function shownValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** The literal values a schema allows (const, enum, or a union of those); undefined otherwise. */
function literalValues(s: Schema | undefined): string[] | undefined {
  if (s === undefined) return undefined;
  if ('const' in s) return [literalText(s.const)];
  if (Array.isArray(s.enum)) return s.enum.map(literalText);
  const branches = s.anyOf ?? s.oneOf;
  if (branches === undefined || branches.length === 0) return undefined;
  const values: string[] = [];
  for (const b of branches) {
    const v = literalValues(asSchema(b));
    if (v === undefined) return undefined;
    values.push(...v);
  }
  return values;
}

const literalText = (v: unknown): string => (typeof v === 'string' ? v : shownValue(v));

function rangeText(s: Schema): string {
  const low =
    s.minimum !== undefined ? s.minimum : s.exclusiveMinimum !== undefined ? s.exclusiveMinimum : undefined;
  const high =
    s.maximum !== undefined ? s.maximum : s.exclusiveMaximum !== undefined ? s.exclusiveMaximum : undefined;
  const inclusive = s.exclusiveMinimum === undefined && s.exclusiveMaximum === undefined;
  if (low !== undefined && high !== undefined && inclusive) return ` from ${low} to ${high}`;
  const parts: string[] = [];
  if (low !== undefined) parts.push(`${s.exclusiveMinimum !== undefined ? '>' : '≥'} ${low}`);
  if (high !== undefined) parts.push(`${s.exclusiveMaximum !== undefined ? '<' : '≤'} ${high}`);
  return parts.length === 0 ? '' : ` ${parts.join(' and ')}`;
}

function lengthText(s: Schema): string | undefined {
  const { minLength: min, maxLength: max } = s;
  if (min !== undefined && max !== undefined) return `${min}–${max} characters`;
  if (max !== undefined) return `at most ${max} characters`;
  if (min !== undefined) return `at least ${min} character${min === 1 ? '' : 's'}`;
  return undefined;
}

/** A string schema in words: its format (formats.ts) or pattern, its lengths, else its description. */
function stringText(s: Schema): string {
  const format = s.pattern === undefined ? undefined : formatOfPattern(s.pattern);
  const parts = [format ?? (s.pattern === undefined ? 'a string' : `a string matching ${s.pattern}`)];
  const length = lengthText(s);
  if (length !== undefined && !(format ?? '').includes('characters')) parts.push(length);
  const text = parts.join(', ');
  return format === undefined && s.description !== undefined ? `${text} (${s.description})` : text;
}

function typeOf(s: Schema): string | undefined {
  if (typeof s.type === 'string') return s.type;
  if (s.properties !== undefined) return 'object';
  return undefined;
}

/** What a schema allows, in words. */
function describe(s: Schema | undefined): string {
  if (s === undefined) return 'a valid value';
  const literals = literalValues(s);
  if (literals !== undefined) return literals.length === 1 ? literals[0]! : `one of ${literals.join('|')}`;
  const branches = s.anyOf ?? s.oneOf;
  if (branches !== undefined) return branches.map((b) => describe(asSchema(b))).join(' or ');
  switch (typeOf(s)) {
    case 'integer':
      return `an integer${rangeText(s)}`;
    case 'number':
      return `a number${rangeText(s)}`;
    case 'string':
      return stringText(s);
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'array':
      return 'an array';
    case 'object': {
      const fields = Object.keys(s.properties ?? {});
      return fields.length === 0 ? 'an object' : `an object with the fields ${fields.join(', ')}`;
    }
    default:
      return 'a valid value';
  }
}

/** The words of an issue for a value `s` refuses: `must be one of a|b`, `must be an integer from 1 to 10`. */
function expectation(s: Schema | undefined): { readonly allowed: string; readonly phrase: string } {
  const literals = literalValues(s);
  if (literals !== undefined && literals.length > 1) {
    const allowed = literals.join('|');
    return { allowed, phrase: `must be one of ${allowed}` };
  }
  const allowed = describe(s);
  return { allowed, phrase: `must be ${allowed}` };
}

function pathOf(instancePath: string | undefined): string[] {
  return (instancePath ?? '')
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
}

const within = (path: string, outer: string): boolean => path === outer || path.startsWith(`${outer}/`);

/**
 * Drops the errors of a union's branches: ajv reports each failing branch (one `const` per value of
 * an enum), then the union itself (`anyOf`/`oneOf`) at the same or a shorter path — only the union
 * is an issue of the request.
 */
function withoutBranchErrors(errors: readonly AjvIssue[]): AjvIssue[] {
  return errors.filter((e, i) =>
    errors
      .slice(i + 1)
      .every(
        (u) =>
          (u.keyword !== 'anyOf' && u.keyword !== 'oneOf') ||
          !within(e.instancePath ?? '', u.instancePath ?? ''),
      ),
  );
}

function propertyOf(data: unknown, key: string): unknown {
  return data !== null && typeof data === 'object' ? (data as Record<string, unknown>)[key] : undefined;
}

function issueOf(e: AjvIssue): ValidationIssue {
  const path = pathOf(e.instancePath);
  const p = e.params ?? {};
  const parent = asSchema(e.parentSchema);
  if (e.keyword === 'required' && typeof p.missingProperty === 'string') {
    const { allowed } = expectation(asSchema(parent?.properties?.[p.missingProperty]));
    return {
      field: [...path, p.missingProperty].join('.'),
      rule: 'required',
      message: `is required: ${allowed}`,
      allowed,
    };
  }
  if (e.keyword === 'additionalProperties' && typeof p.additionalProperty === 'string') {
    const names = Object.keys(parent?.properties ?? {});
    const allowed = names.length === 0 ? 'none' : names.join(', ');
    return {
      field: [...path, p.additionalProperty].join('.'),
      rule: 'additionalProperties',
      message: `is not allowed (allowed: ${allowed})`,
      allowed,
      received: shownValue(propertyOf(e.data, p.additionalProperty)),
    };
  }
  const { allowed, phrase } = expectation(parent);
  const literals = literalValues(parent);
  return {
    field: path.join('.'),
    rule: literals !== undefined && literals.length > 1 ? 'enum' : (e.keyword ?? 'invalid'),
    message: parent === undefined ? (e.message ?? 'is invalid') : phrase,
    allowed,
    received: shownValue(e.data),
  };
}

/** The issues of a failed validation: one per field and rule, union branches folded into their union. */
export function validationIssues(errors: readonly AjvIssue[]): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const e of withoutBranchErrors(errors)) {
    const issue = issueOf(e);
    const key = `${issue.field}\u0000${issue.rule}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
  }
  return out;
}

/** How a part of the request names its fields in a message. */
const FIELD_OF_PART: Readonly<Record<string, string>> = {
  querystring: 'query parameter',
  params: 'path parameter',
  body: 'body field',
  headers: 'header',
};
const WHOLE_PART: Readonly<Record<string, string>> = {
  querystring: 'the query string',
  params: 'the path',
  body: 'the body',
  headers: 'the headers',
};

/** The one-line message of a 400: `query parameter "metric" must be one of a|b; received "x"`. */
export function issueSentence(part: string, issue: ValidationIssue): string {
  const subject =
    issue.field === ''
      ? (WHOLE_PART[part] ?? `the ${part}`)
      : `${FIELD_OF_PART[part] ?? 'field'} "${issue.field}"`;
  return issue.received === undefined
    ? `${subject} ${issue.message}`
    : `${subject} ${issue.message}; received ${issue.received}`;
}

/**
 * ajv's errors → the issues and message of a 400 (src/validation-issues.ts), compiled by the API's
 * own request validators (plugins/validation.ts, verbose): an enum is one issue listing its values,
 * other unions name each alternative, patterns are words, and every issue says what was received.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { formatOfPattern, ISO_INSTANT_PATTERN } from '../src/formats.ts';
import { requestValidatorFactory } from '../src/plugins/validation.ts';
import { issueSentence, validationIssues, type AjvIssue } from '../src/validation-issues.ts';

type Build = (
  externalSchemas: Record<string, unknown>,
  options?: Record<string, unknown>,
) => (route: { schema: unknown; method: string; url: string; httpPart: string }) => {
  (data: unknown): boolean;
  errors?: readonly AjvIssue[] | null;
};

/** The first sentence and the issues of validating `data` against `schema` as a query string (coerced). */
function refuse(schema: TSchema, data: Record<string, unknown>, httpPart = 'querystring') {
  const build = (requestValidatorFactory() as unknown as Build)({}, {});
  const validate = build({ schema, method: 'GET', url: '/x', httpPart });
  expect(validate(data)).toBe(false);
  const issues = validationIssues(validate.errors ?? []);
  return { issues, message: issues[0] === undefined ? '' : issueSentence(httpPart, issues[0]) };
}

const Lit = (xs: readonly string[]) => Type.Union(xs.map((x) => Type.Literal(x)));

describe('validation issues', () => {
  it('folds an enum (one const failure per value, then anyOf) into one issue listing the values', () => {
    const schema = Type.Object({ metric: Lit(['energy_kwh', 'meters_reported', 'voltage_avg']) });
    const { issues, message } = refuse(schema, { metric: 'energy' });
    expect(issues).toEqual([
      {
        field: 'metric',
        rule: 'enum',
        message: 'must be one of energy_kwh|meters_reported|voltage_avg',
        allowed: 'energy_kwh|meters_reported|voltage_avg',
        received: '"energy"',
      },
    ]);
    expect(message).toBe(
      'query parameter "metric" must be one of energy_kwh|meters_reported|voltage_avg; received "energy"',
    );
  });

  it('names each alternative of another union, in a body', () => {
    const schema = Type.Object({ wh: Type.Union([Type.Integer({ minimum: 0, maximum: 9 }), Type.Null()]) });
    expect(refuse(schema, { wh: 'x' }, 'body').message).toBe(
      'body field "wh" must be an integer from 0 to 9 or null; received "x"',
    );
  });

  it('words a pattern from formats.ts, and bounds and lengths', () => {
    const schema = Type.Object(
      {
        from: Type.String({ pattern: ISO_INSTANT_PATTERN }),
        limit: Type.Integer({ minimum: 1, maximum: 10 }),
        note: Type.String({ minLength: 2, maxLength: 5 }),
      },
      { additionalProperties: false },
    );
    const ok = { from: '2026-03-01T00:00:00Z', limit: 1, note: 'ab' };
    expect(refuse(schema, { ...ok, from: 'yesterday' }).message).toBe(
      `query parameter "from" must be ${formatOfPattern(ISO_INSTANT_PATTERN)}; received "yesterday"`,
    );
    expect(refuse(schema, { ...ok, limit: '11' }).message).toBe(
      'query parameter "limit" must be an integer from 1 to 10; received 11',
    );
    expect(refuse(schema, { ...ok, note: 'abcdef' }).message).toBe(
      'query parameter "note" must be a string, 2–5 characters; received "abcdef"',
    );
  });

  it('names a missing field with what it allows, an unknown one with the allowed ones', () => {
    const schema = Type.Object(
      { step: Lit(['1h', '1d']), limit: Type.Optional(Type.Integer()) },
      {
        additionalProperties: false,
      },
    );
    expect(refuse(schema, {}).message).toBe('query parameter "step" is required: 1h|1d');
    expect(refuse(schema, { step: '1h', colour: 'red' }).message).toBe(
      'query parameter "colour" is not allowed (allowed: step, limit); received "red"',
    );
  });

  it("says a non-finite coerced number is refused with the field's bounds", () => {
    const schema = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 10 }) });
    expect(refuse(schema, { limit: 'Infinity' }).message).toBe(
      'query parameter "limit" must be an integer from 1 to 10; received Infinity',
    );
  });

  it('names the whole part when it is not an object', () => {
    const schema = Type.Object({ a: Type.String() });
    expect(refuse(schema, [] as unknown as Record<string, unknown>, 'body').message).toBe(
      'the body must be an object with the fields a; received []',
    );
  });
});

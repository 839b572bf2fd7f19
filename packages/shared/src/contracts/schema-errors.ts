/**
 * Turning a failed compiled TypeBox check into a SCHEMA_VIOLATION with a JSON pointer and the
 * JSON-Schema keyword that failed. Only runs on the (rare) failure path: the hot path is Check().
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { failure, type ValidationFailure } from './reasons.ts';

const KEYWORDS: Partial<Record<ValueErrorType, string>> = {
  [ValueErrorType.ObjectRequiredProperty]: 'required',
  [ValueErrorType.ObjectAdditionalProperties]: 'additionalProperties',
  [ValueErrorType.Object]: 'type',
  [ValueErrorType.String]: 'type',
  [ValueErrorType.Number]: 'type',
  [ValueErrorType.Integer]: 'type',
  [ValueErrorType.Boolean]: 'type',
  [ValueErrorType.Null]: 'type',
  [ValueErrorType.Array]: 'type',
  [ValueErrorType.StringMaxLength]: 'maxLength',
  [ValueErrorType.StringMinLength]: 'minLength',
  [ValueErrorType.StringPattern]: 'pattern',
  [ValueErrorType.NumberMinimum]: 'minimum',
  [ValueErrorType.NumberMaximum]: 'maximum',
  [ValueErrorType.NumberExclusiveMinimum]: 'exclusiveMinimum',
  [ValueErrorType.NumberExclusiveMaximum]: 'exclusiveMaximum',
  [ValueErrorType.IntegerMinimum]: 'minimum',
  [ValueErrorType.IntegerMaximum]: 'maximum',
  [ValueErrorType.IntegerExclusiveMinimum]: 'exclusiveMinimum',
  [ValueErrorType.IntegerExclusiveMaximum]: 'exclusiveMaximum',
  [ValueErrorType.ArrayMaxItems]: 'maxItems',
  [ValueErrorType.ArrayMinItems]: 'minItems',
  [ValueErrorType.ArrayUniqueItems]: 'uniqueItems',
  [ValueErrorType.Literal]: 'const',
  [ValueErrorType.Union]: 'anyOf',
};

/** JSON-Schema keyword for a TypeBox error type (the enum member's name when there is no keyword). */
export function schemaKeyword(type: ValueErrorType): string {
  return KEYWORDS[type] ?? ValueErrorType[type];
}

/**
 * SCHEMA_VIOLATION for the first error `check` finds in `value` ('/' paths; '' is the root).
 * Assumes `check.Check(value)` was false.
 */
export function schemaViolation<T extends TSchema>(check: TypeCheck<T>, value: unknown): ValidationFailure {
  const first = check.Errors(value).First();
  if (first === undefined)
    return failure('SCHEMA_VIOLATION', 'value does not match the schema', '', 'unknown');
  const keyword = schemaKeyword(first.type);
  const where = first.path === '' ? '(root)' : first.path;
  return failure('SCHEMA_VIOLATION', `${where}: ${keyword}: ${first.message}`, first.path, keyword);
}

/** Result of checking a value the platform itself produced (alerts, DLQ records, notices, topology). */
export type Checked<T> = { readonly ok: true; readonly value: T } | ValidationFailure;

/** Checks `value` with a compiled schema; SCHEMA_VIOLATION with path and keyword on failure. */
export function checkValue<T extends TSchema>(check: TypeCheck<T>, value: unknown): Checked<Static<T>> {
  if (check.Check(value)) return { ok: true, value };
  return schemaViolation(check, value);
}

/**
 * Building blocks of the wire schemas: identifiers, instants and local dates.
 *
 * Identifiers (meter, service point, customer, transformer, feeder, substation, region) are 1–64
 * characters of [A-Za-z0-9._-], starting with a letter or digit. That keeps them safe inside Redis
 * keys and hash tags (no `{`, `}`, `:` or spaces), S3 object keys and Hive partition paths (no `/`,
 * `=`), CSV and log lines, and bounds the memory a hostile message can make us hold.
 */
import { Type } from '@sinclair/typebox';

export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
export const ID_MAX_LENGTH = 64;

/** An entity identifier (see module comment). */
export const IdSchema = Type.String({
  maxLength: ID_MAX_LENGTH,
  pattern: ID_PATTERN,
  description: '1–64 characters of [A-Za-z0-9._-], starting with a letter or digit',
});

/**
 * An instant as the head-end sends it: checked only for type and size by the schema; the content is
 * parsed by parseIsoInstant so that a malformed one gets the reason BAD_TIMESTAMP.
 */
export const InboundInstantSchema = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'ISO-8601 instant with offset, e.g. 2025-01-15T08:15:00Z or 2025-01-15T09:15:00+01:00',
});

/** An instant the platform writes (alerts, DLQ records, notices): ISO-8601 with offset, checked by pattern. */
export const InstantSchema = Type.String({
  maxLength: 35,
  pattern:
    '^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$',
  description: 'ISO-8601 instant with offset',
});

/** A local calendar date 'YYYY-MM-DD' (in AMI_TIMEZONE). */
export const LocalDateSchema = Type.String({
  pattern: '^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$',
  description: 'Local date YYYY-MM-DD in AMI_TIMEZONE',
});

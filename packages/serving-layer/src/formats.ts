/**
 * The string formats the API's parameters and bodies use (JSON-Schema `pattern`s), each with the
 * words a person reads in a 400: `formatOfPattern` names what a pattern allows, with an example,
 * so that an error never answers with a bare regular expression. A route that declares a new
 * pattern adds it here (test/parameter-walk.int.test.ts fails for a pattern without words).
 */
import { ID_PATTERN, LocalDateSchema } from '@ami/shared/contracts';
import { ALERT_STREAM_ID_PATTERN } from '@ami/speed-layer/realtime-view';

/** ISO-8601 instant with an explicit offset (Z or ±HH:MM), seconds required, up to 9 decimals. */
export const ISO_INSTANT_PATTERN =
  '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$';

/** A billing period: the local calendar month YYYY-MM. */
export const MONTH_PATTERN = '^[0-9]{4}-[0-9]{2}$';

/** Idempotency tokens of job requests (BullMQ forbids ':' in custom job ids). */
export const JOB_TOKEN_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

/**
 * Job ids as GET /v1/jobs lists them: ours (`build-day.<date>.<cause>.<token>`, `backfill.…`,
 * `relay-restatements.v<n>`), BullMQ's numeric ids and its scheduler runs (`repeat:<scheduler>:<ms>`).
 */
export const JOB_ID_PATTERN = '^[A-Za-z0-9._:-]{1,200}$';

/** A text with something in it (edit reasons). */
export const NON_BLANK_PATTERN = '\\S';

/** The paging cursor of GET /v1/alerts (base64url, opaque to clients). */
export const ALERTS_CURSOR_PATTERN = '^[A-Za-z0-9_-]{1,600}$';

/** Dashboard asset file names (the hidden /dashboard/assets/ route). */
export const ASSET_FILE_PATTERN = '^[a-z0-9][a-z0-9-]*\\.[a-z]+$';

/** Calendar dates YYYY-MM-DD (the shared contract's LocalDateSchema). */
const LOCAL_DATE_PATTERN: string = LocalDateSchema.pattern ?? '';

/** A pattern in words, and a value it allows (none for cursors: only the API makes them). */
export interface StringFormat {
  readonly words: string;
  readonly example?: string;
}

const FORMATS: ReadonlyMap<string, StringFormat> = new Map<string, StringFormat>([
  [
    ISO_INSTANT_PATTERN,
    { words: 'an ISO-8601 instant with offset (Z or ±HH:MM)', example: '2026-03-01T00:00:00+01:00' },
  ],
  [
    ID_PATTERN,
    {
      words: 'an id of 1–64 characters [A-Za-z0-9._-] starting with a letter or digit',
      example: 'MTR-000001',
    },
  ],
  [LOCAL_DATE_PATTERN, { words: 'a calendar date YYYY-MM-DD', example: '2026-03-01' }],
  [MONTH_PATTERN, { words: 'a month YYYY-MM', example: '2026-03' }],
  [ALERT_STREAM_ID_PATTERN, { words: 'an alert history stream id <ms>-<seq>', example: '1767225600000-0' }],
  [JOB_TOKEN_PATTERN, { words: 'a token of 1–64 characters [A-Za-z0-9_-]', example: 'retry-1' }],
  [
    JOB_ID_PATTERN,
    {
      words: 'a job id of 1–200 characters [A-Za-z0-9._:-], as GET /v1/jobs lists it',
      example: 'repeat:relay-restatements:1767225600000',
    },
  ],
  [NON_BLANK_PATTERN, { words: 'a text with at least one non-blank character', example: 'meter swap' }],
  [ALERTS_CURSOR_PATTERN, { words: 'a cursor: the next_cursor of the previous page' }],
  [ASSET_FILE_PATTERN, { words: 'a file name', example: 'app.js' }],
]);

/** A pattern's format: its words and an example (undefined for a pattern nobody described). */
export function stringFormatOf(pattern: string): StringFormat | undefined {
  return FORMATS.get(pattern);
}

/** What a pattern allows, in words with an example (undefined for a pattern nobody described). */
export function formatOfPattern(pattern: string): string | undefined {
  const f = FORMATS.get(pattern);
  if (f === undefined) return undefined;
  return f.example === undefined ? f.words : `${f.words}, e.g. ${f.example}`;
}

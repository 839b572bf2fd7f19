/**
 * The API's error contract (SPEC 6): every error response is JSON `{error, message, details}` with
 * the right status. Route modules throw `ApiError`s (or the helpers below); anything else is mapped
 * by `toApiError`: Fastify's own 4xx errors keep their status, failures of Redis/S3/Kafka become 503
 * `dependency_unavailable`, and only what is left is a 500 `internal_error` (logged, never detailed).
 * Every 400 names the parameter, what it allows and what it received: schema failures are worded by
 * validation-issues.ts, values a handler refuses by `invalidParameter` in the same words and shape.
 */
import { Type, type Static } from '@sinclair/typebox';
import {
  issueSentence,
  shownValue,
  validationIssues,
  type AjvIssue,
  type ValidationIssue,
} from './validation-issues.ts';

export const ApiErrorBody = Type.Object(
  {
    error: Type.String({ description: 'Machine-readable code, e.g. validation_failed, forbidden' }),
    message: Type.String({ description: 'Human-readable explanation' }),
    details: Type.Object({}, { additionalProperties: true, description: 'Code-specific details' }),
  },
  { additionalProperties: false, title: 'ApiError' },
);
export type ApiErrorBody = Static<typeof ApiErrorBody>;

/** Id of the shared error schema (app.addSchema); responses refer to it as `{ $ref: 'ApiError#' }`. */
export const API_ERROR_SCHEMA_ID = 'ApiError';
export const ApiErrorSchemaWithId = { ...ApiErrorBody, $id: API_ERROR_SCHEMA_ID };

/** A response entry referring to the shared error schema. */
export function errorResponse(description: string): { $ref: string; description: string } {
  return { $ref: `${API_ERROR_SCHEMA_ID}#`, description };
}

export type ErrorDetails = Record<string, unknown>;

/** An error with a status and a code, answered as is. */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly details: ErrorDetails;
  constructor(statusCode: number, code: string, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.code = code;
    this.details = details;
  }
}

export const badRequest = (message: string, details: ErrorDetails = {}): ApiError =>
  new ApiError(400, 'bad_request', message, details);

export const unauthorized = (message: string, details: ErrorDetails = {}): ApiError =>
  new ApiError(401, 'unauthorized', message, details);
export const forbidden = (message: string, details: ErrorDetails = {}): ApiError =>
  new ApiError(403, 'forbidden', message, details);
export const notFound = (message: string, details: ErrorDetails = {}): ApiError =>
  new ApiError(404, 'not_found', message, details);
export const conflict = (message: string, details: ErrorDetails = {}): ApiError =>
  new ApiError(409, 'conflict', message, details);
export const dependencyUnavailable = (dependency: string, message: string): ApiError =>
  new ApiError(503, 'dependency_unavailable', message, { dependency });

/** The parts of a request a parameter comes from (Fastify's validation contexts). */
export type RequestPart = 'querystring' | 'params' | 'body' | 'headers';

/** Why a value is refused when "must be <allowed>" does not say it: the phrase and what is allowed. */
export interface Refusal {
  readonly phrase: string;
  readonly allowed: string;
}

/**
 * A 400 for one value a handler refuses beyond its schema (a calendar check, a range, an order), in
 * the words and shape of a schema failure (validation-issues.ts): the message names the parameter,
 * what is allowed and what was received, and `details.issues` holds the one issue.
 */
export function invalidParameter(
  part: RequestPart,
  field: string,
  received: unknown,
  allowed: string | Refusal,
  details: ErrorDetails = {},
): ApiError {
  const refusal = typeof allowed === 'string' ? { phrase: `must be ${allowed}`, allowed } : allowed;
  const issue: ValidationIssue = {
    field,
    rule: 'value',
    message: refusal.phrase,
    allowed: refusal.allowed,
    received: shownValue(received),
  };
  return new ApiError(400, 'bad_request', issueSentence(part, issue), {
    in: part,
    issues: [issue],
    ...details,
  });
}

/** Default code of a status when the error carries none of ours. */
const CODE_OF_STATUS: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  411: 'length_required',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
  431: 'headers_too_large',
  503: 'service_unavailable',
};

export function codeOfStatus(status: number): string {
  return CODE_OF_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
}

export { validationIssues, type ValidationIssue } from './validation-issues.ts';

/**
 * @platformatic/kafka's transport failures carry code PLT_KFK_NETWORK (its TimeoutError too) or
 * PLT_KFK_TIMEOUT; retries exhausted give a PLT_KFK_MULTIPLE (AggregateError) holding them, and
 * wrappers keep them as `cause`. Looks through both, a few levels deep.
 */
function isKafkaNetworkError(err: unknown, depth = 0): boolean {
  if (depth > 4 || err === null || typeof err !== 'object') return false;
  const e = err as { code?: unknown; errors?: unknown; cause?: unknown };
  if (e.code === 'PLT_KFK_NETWORK' || e.code === 'PLT_KFK_TIMEOUT') return true;
  if (typeof e.code !== 'string' || !e.code.startsWith('PLT_KFK_')) return false;
  const inner = Array.isArray(e.errors) ? (e.errors as unknown[]) : [];
  return [...inner, e.cause].some((x) => isKafkaNetworkError(x, depth + 1));
}

/** Which dependency a thrown error says is unreachable or unhealthy (undefined = not a dependency failure). */
export function failedDependency(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    $metadata?: unknown;
    $fault?: unknown;
  };
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  // ioredis: retries exhausted, connection gone, command timeout, server not serving.
  if (
    name === 'MaxRetriesPerRequestError' ||
    name === 'ClusterAllFailedError' ||
    message === 'Connection is closed.' ||
    message === 'Command timed out' ||
    message.startsWith("Stream isn't writeable") ||
    (name === 'ReplyError' && /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY)\b/.test(message))
  )
    return 'redis';
  // AWS SDK (S3): server-side faults, throttling and transport failures.
  if (e.$metadata !== undefined && typeof e.$metadata === 'object') {
    const status = (e.$metadata as { httpStatusCode?: number }).httpStatusCode;
    if (
      status === undefined ||
      status >= 500 ||
      status === 429 ||
      e.$fault === 'server' ||
      ['TimeoutError', 'RequestTimeout', 'SlowDown', 'ServiceUnavailable', 'InternalError'].includes(name)
    )
      return 's3';
    return undefined;
  }
  // @platformatic/kafka: a connection failure or timeout, alone or among the errors of its retries.
  if (isKafkaNetworkError(err)) return 'kafka';
  // transport errors without a client wrapper
  if (
    typeof e.code === 'string' &&
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN'].includes(
      e.code,
    )
  )
    return 'network';
  return undefined;
}

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
  validation?: readonly AjvIssue[];
  validationContext?: string;
}

export interface MappedError {
  readonly status: number;
  readonly body: ApiErrorBody;
  /** True for real faults (500): log them with the stack. */
  readonly fault: boolean;
}

/** Maps anything thrown in a request to the response it gets. */
export function toApiError(err: unknown, requestId: string): MappedError {
  if (err instanceof ApiError)
    return {
      status: err.statusCode,
      body: { error: err.code, message: err.message, details: err.details },
      fault: err.statusCode >= 500 && err.statusCode !== 503,
    };
  const e = (err !== null && typeof err === 'object' ? err : {}) as FastifyLikeError;
  if (Array.isArray(e.validation)) {
    const where = e.validationContext ?? 'request';
    const issues = validationIssues(e.validation);
    const first = issues[0];
    return {
      status: 400,
      body: {
        error: 'validation_failed',
        message: first ? issueSentence(where, first) : `invalid ${where}`,
        details: { in: where, issues },
      },
      fault: false,
    };
  }
  const dependency = failedDependency(err);
  if (dependency !== undefined)
    return {
      status: 503,
      body: {
        error: 'dependency_unavailable',
        message: `${dependency} is unavailable; try again later`,
        details: { dependency },
      },
      fault: false,
    };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 503 && e.code === 'FST_ERR_HANDLER_TIMEOUT')
    return {
      status: 503,
      body: { error: 'timeout', message: 'the request took too long; try again later', details: {} },
      fault: false,
    };
  if (status >= 400 && status < 500)
    return {
      status,
      body: {
        error: codeOfStatus(status),
        message: e.message ?? codeOfStatus(status),
        details: typeof e.code === 'string' ? { code: e.code } : {},
      },
      fault: false,
    };
  return {
    status: 500,
    body: { error: 'internal_error', message: 'internal error', details: { requestId } },
    fault: true,
  };
}

import type { FastifyError, FastifyInstance } from 'fastify';
import { ConflictError } from '../errors.js';

/**
 * Every error the HTTP API answers with: code, HTTP status and default message, in one place
 * (as fastify's own `lib/errors.js`). Clients switch on `code`; the message is for people.
 */
export const API_ERRORS = {
  /** The body or query does not match the route's schema. */
  WINNOW_ERR_VALIDATION: { statusCode: 400, message: 'request does not match the schema' },
  /** The body is not valid JSON (or empty while JSON was announced). */
  WINNOW_ERR_BAD_JSON: { statusCode: 400, message: 'body is not valid JSON' },
  /** A submitted URL is not an absolute http(s) URL, has credentials, or names a blocked address or port. */
  WINNOW_ERR_BAD_URL: { statusCode: 400, message: 'URL is not allowed' },
  /** More pages in one batch than {@link MAX_BATCH}. */
  WINNOW_ERR_BATCH_TOO_LARGE: { statusCode: 400, message: 'too many pages in one batch' },
  /** No token, a malformed Authorization header, or a wrong token. */
  WINNOW_ERR_UNAUTHORIZED: { statusCode: 401, message: 'missing or wrong bearer token' },
  /** A state-changing request from another site (`Origin` or `Sec-Fetch-Site` says so): refused before anything runs. */
  WINNOW_ERR_CROSS_ORIGIN: { statusCode: 403, message: 'cross-origin request refused' },
  /** No such route, job, page or article. */
  WINNOW_ERR_NOT_FOUND: { statusCode: 404, message: 'not found' },
  /** Someone changed the record first (a review decision, a running training job); `current` says what it holds now. */
  WINNOW_ERR_CONFLICT: { statusCode: 409, message: 'the record changed since it was read' },
  /** The body is over the limit: 1 MiB of JSON, more only for raw-HTML submissions. */
  WINNOW_ERR_BODY_TOO_LARGE: { statusCode: 413, message: 'request body is too large' },
  /** One submitted page's HTML is over 10 MiB. */
  WINNOW_ERR_HTML_TOO_LARGE: { statusCode: 413, message: 'HTML is over 10 MiB' },
  /** The body is not `application/json`. */
  WINNOW_ERR_UNSUPPORTED_MEDIA_TYPE: { statusCode: 415, message: 'body must be application/json' },
  /** Redis (the job queues) is unreachable; nothing more was queued. Retry later. */
  WINNOW_ERR_QUEUE_UNAVAILABLE: { statusCode: 503, message: 'the job queue is unavailable; try again later' },
  /** Anything unexpected (logged server side). */
  WINNOW_ERR_INTERNAL: { statusCode: 500, message: 'internal error' },
} as const satisfies Record<string, { statusCode: number; message: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** Most pages one `POST /v1/pages` may carry. */
export const MAX_BATCH = 1000;

/** An error answered as `{statusCode, code, error, message, item?}`. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly statusCode: number;
  /** Index of the offending page in the submission (0 for a single page), when one is to blame. */
  readonly item: number | undefined;
  /** What a conflicting record holds now (409 only). */
  readonly current: unknown;

  constructor(code: ApiErrorCode, message: string = API_ERRORS[code].message, options?: { item?: number; current?: unknown; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = this.constructor.name;
    this.code = code;
    this.statusCode = API_ERRORS[code].statusCode;
    this.item = options?.item;
    this.current = options?.current;
  }
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  statusCode: number;
  code: ApiErrorCode;
  /** HTTP reason phrase. */
  error: string;
  message: string;
  item?: number;
  current?: unknown;
}

/** JSON schema of {@link ErrorBody}, for route `response` sections. */
export const errorBodySchema = {
  type: 'object',
  required: ['statusCode', 'code', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string', enum: Object.keys(API_ERRORS) },
    error: { type: 'string' },
    message: { type: 'string' },
    item: { type: 'integer', description: 'index of the offending page in the submission' },
    current: { description: 'what a conflicting record holds now (409)' },
  },
} as const;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function errorBody(error: ApiError): ErrorBody {
  const body: ErrorBody = { statusCode: error.statusCode, code: error.code, error: REASONS[error.statusCode] ?? 'Error', message: error.message };
  if (error.item !== undefined) body.item = error.item;
  if (error.current !== undefined) body.current = error.current;
  return body;
}

/** Fastify's own errors (body parsing, schema validation) in our codes. */
export function toApiError(error: FastifyError | Error): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ConflictError) return new ApiError('WINNOW_ERR_CONFLICT', error.message, { current: error.current, cause: error });
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const first = fastifyError.validation[0];
    const context = fastifyError.validationContext ?? 'request';
    if (first?.keyword === 'maxItems' && first.instancePath === '/pages') {
      return new ApiError('WINNOW_ERR_BATCH_TOO_LARGE', `a batch holds at most ${MAX_BATCH} pages`);
    }
    if (context === 'body' && fastifyError.validation.some((issue) => issue.keyword === 'oneOf' && issue.instancePath === '')) {
      return new ApiError('WINNOW_ERR_VALIDATION', 'body must be {url}, {url, html} or {pages: [{url} | {url, html}, ...]}');
    }
    return new ApiError('WINNOW_ERR_VALIDATION', `${context}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`.trim());
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('WINNOW_ERR_BODY_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('WINNOW_ERR_UNSUPPORTED_MEDIA_TYPE');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('WINNOW_ERR_BAD_JSON');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('WINNOW_ERR_VALIDATION', 'Content-Length does not match the body');
    default:
      break;
  }
  return new ApiError('WINNOW_ERR_INTERNAL', undefined, { cause: error });
}

/**
 * One error handler and one not-found handler for the whole app. Unexpected errors are logged
 * with their stack and answered with a bare 500; the client never sees internals.
 */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.code === 'WINNOW_ERR_INTERNAL') request.log.error({ err: error }, 'request failed');
    else if (apiError.statusCode >= 500) request.log.warn({ code: apiError.code, cause: errorMessage(apiError.cause) }, apiError.message);
    if (apiError.code === 'WINNOW_ERR_UNAUTHORIZED') void reply.header('www-authenticate', 'Bearer');
    return reply.code(apiError.statusCode).type('application/json; charset=utf-8').send(errorBody(apiError));
  });
  app.setNotFoundHandler((request, reply) => {
    const apiError = new ApiError('WINNOW_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(404).send(errorBody(apiError));
  });
}

function errorMessage(error: unknown): string | undefined {
  return error instanceof Error ? error.message : undefined;
}

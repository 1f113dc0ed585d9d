import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';

export interface FieldError {
  path: string;
  message: string;
}

/** An error a client can act on: rendered as application/problem+json with a stable `code`. */
export class AppError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    public readonly title: string,
    public readonly detail?: string,
    public readonly errors?: FieldError[],
    public readonly extra?: Record<string, unknown>,
  ) {
    super(detail ?? title);
    this.name = 'AppError';
  }
}

export const unauthenticated = (detail = 'Sign in to continue.') =>
  new AppError(401, 'unauthenticated', 'Not signed in', detail);
/** A scanning device's key that is not registered or was revoked. */
export const deviceKeyRefused = () => unauthenticated('Unknown or revoked device key.');
export const forbidden = (detail = 'Your role does not allow this.') =>
  new AppError(403, 'forbidden', 'Forbidden', detail);
export const notFound = (what = 'Resource') => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (detail: string, errors?: FieldError[]) =>
  new AppError(409, 'conflict', 'Conflict', detail, errors);
export const validationFailed = (detail: string, errors: FieldError[] = []) =>
  new AppError(400, 'validation_failed', 'Validation failed', detail, errors);

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  errors?: FieldError[];
  [key: string]: unknown;
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  // 503 and 429 tell the client when to come back (RFC 9110 Retry-After).
  if ((problem.status === 503 || problem.status === 429) && typeof problem.retryAfterSeconds === 'number') {
    reply.header('retry-after', String(Math.max(1, Math.ceil(problem.retryAfterSeconds))));
  }
  return reply.status(problem.status).type('application/problem+json').send(problem);
}

function pathOf(instancePath: string, prefix: string): string {
  const p = instancePath.replace(/^\//, '').replace(/\//g, '.');
  return p ? p : prefix;
}

/** Seconds a client should wait before retrying after a 503 `unavailable`. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
  'Connection ended unexpectedly',
  'Client was closed and is not queryable',
];

/**
 * Whether an error means the database (not the request) failed: it could not be reached, dropped
 * the connection, or a deadline passed. PostgreSQL SQLSTATE classes 08 (connection exception),
 * 57 (operator intervention: shutdown, statement/idle-in-transaction timeout) and 53 (insufficient
 * resources: too many connections); SQLite's busy/locked after its busy timeout, and a report read interrupted at its deadline
 * (db/sqlite-readers.ts).
 */
export function isUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    if (/^(08|57|53)[0-9A-Z]{3}$/.test(code) || code === '25P03') return true;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_INTERRUPT') return true;
  }
  if (UNAVAILABLE_MESSAGES.some((m) => error.message.includes(m))) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isUnavailableError(cause);
}

/** Maps any thrown error to a problem document; internals of a 5xx are logged, never sent. */
export function toProblem(error: unknown, request: FastifyRequest): Problem {
  if (error instanceof AppError) {
    return {
      type: 'about:blank',
      title: error.title,
      status: error.status,
      code: error.code,
      ...(error.detail ? { detail: error.detail } : {}),
      ...(error.errors ? { errors: error.errors } : {}),
      ...(error.extra ?? {}),
    };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as FastifyError).validationContext ?? 'body';
    const errors = error.validation.map((v) => ({
      path: pathOf(v.instancePath, where),
      message: v.message ?? 'Invalid value',
    }));
    return {
      type: 'about:blank',
      title: 'Validation failed',
      status: 400,
      code: 'validation_failed',
      detail: `The request ${where} is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      errors,
    };
  }
  const fe = error as FastifyError & { statusCode?: number };
  if (isResponseSerializationError(error)) {
    request.log.error({ err: error }, 'response did not match its schema');
    return internal();
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        type: 'about:blank',
        title: 'Validation failed',
        status: 400,
        code: 'validation_failed',
        detail: fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'The JSON body is empty.' : 'The body is not valid JSON.',
        errors: [{ path: 'body', message: fe.message }],
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { type: 'about:blank', title: 'Payload too large', status: 413, code: 'payload_too_large', detail: fe.message };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        type: 'about:blank',
        title: 'Unsupported media type',
        status: 415,
        code: 'unsupported_media_type',
        detail: fe.message,
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { type: 'about:blank', title: 'Bad request', status: 400, code: 'bad_request', detail: fe.message };
  }
  if (fe instanceof SyntaxError) {
    return {
      type: 'about:blank',
      title: 'Validation failed',
      status: 400,
      code: 'validation_failed',
      detail: 'The body is not valid JSON.',
      errors: [{ path: 'body', message: fe.message }],
    };
  }
  const pgCode = (error as { code?: unknown }).code;
  if (pgCode === '22021' || pgCode === '22P05') {
    // PostgreSQL cannot store some characters (NUL) that SQLite takes: the input, not the server, is at fault.
    return {
      type: 'about:blank',
      title: 'Validation failed',
      status: 400,
      code: 'validation_failed',
      detail: 'The request contains characters that cannot be stored (such as NUL).',
      errors: [{ path: 'request', message: 'contains characters that cannot be stored' }],
    };
  }
  if (isUnavailableError(error)) {
    request.log.warn({ err: error }, 'database unavailable');
    return {
      type: 'about:blank',
      title: 'Service unavailable',
      status: 503,
      code: 'unavailable',
      detail: `The database cannot be reached right now. Try again in ${UNAVAILABLE_RETRY_AFTER_SECONDS} seconds.`,
      retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
    };
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status === 429) {
    return { type: 'about:blank', title: 'Too many requests', status, code: 'too_many_requests', detail: fe.message };
  }
  if (status >= 400 && status < 500) {
    return { type: 'about:blank', title: 'Bad request', status, code: 'bad_request', detail: fe.message };
  }
  request.log.error({ err: error }, 'unhandled error');
  return internal();
}

function internal(): Problem {
  return {
    type: 'about:blank',
    title: 'Internal server error',
    status: 500,
    code: 'internal_error',
    detail: 'Something went wrong on the server. It has been logged.',
  };
}

/** Fastify's `frameworkErrors` option: a bad URL or an over-long path parameter gets a problem too. */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendProblem(reply, toProblem(error, request));
}

export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => sendProblem(reply, toProblem(error, request)));
}

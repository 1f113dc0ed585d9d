import { SESSION_HINT_COOKIES } from '../../../common/user.schemas.js';

export interface FieldError {
  path: string;
  message: string;
}

/** A failed request, carrying the server's RFC 9457 problem document (or one made up for network failures). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[];
  readonly body: Record<string, unknown>;

  constructor(problem: { status: number; code: string; title: string; detail?: string; errors?: FieldError[] }, body: Record<string, unknown> = {}) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
    this.status = problem.status;
    this.code = problem.code;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.body = body;
  }
}

type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  /** Sent as JSON unless `contentType` says otherwise (then it must be a string). */
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

// Requests that must never trigger a token refresh: they are how a session starts or renews.
const NO_REFRESH = ['/api/auth/login', '/api/auth/refresh', '/api/auth/signup', '/api/setup', '/api/auth/forgot', '/api/auth/reset'];

let onSessionExpired: () => void = () => {};
let refreshing: Promise<boolean> | null = null;

function hasCookie(name: string): boolean {
  return document.cookie.split(';').some((c) => c.trim().startsWith(`${name}=`));
}

/**
 * Whether this browser holds a session, from the readable cookie the server sets next to the
 * httpOnly tokens: without it a signed-out visitor is known to be one without asking (and
 * without a 401 in the console).
 */
export function hasSession(): boolean {
  return hasCookie(SESSION_HINT_COOKIES.signedIn);
}

/** Called once a refresh has failed: the app forgets the user and shows the sign-in page. */
export function setSessionExpiredHandler(handler: () => void): void {
  onSessionExpired = handler;
}

export function buildUrl(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    if (options.contentType && options.contentType !== 'application/json') {
      headers['Content-Type'] = options.contentType;
      body = options.body as string;
    } else {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
  }
  try {
    return await fetch(buildUrl(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError({
      status: 0,
      code: 'network_error',
      title: 'Network error',
      detail: 'Could not reach the Rollbook server. Check your connection and try again.',
    });
  }
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (!text) return undefined;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function toApiError(response: Response, body: unknown): ApiError {
  if (body && typeof body === 'object' && 'code' in body && 'title' in body) {
    const p = body as Record<string, unknown>;
    return new ApiError(
      {
        status: typeof p.status === 'number' ? p.status : response.status,
        code: String(p.code),
        title: String(p.title),
        detail: typeof p.detail === 'string' ? p.detail : undefined,
        errors: Array.isArray(p.errors) ? (p.errors as FieldError[]) : undefined,
      },
      p,
    );
  }
  return new ApiError({
    status: response.status,
    code: response.status >= 500 ? 'server_error' : 'http_error',
    title: `Request failed (${response.status} ${response.statusText || 'error'})`,
    detail:
      response.status >= 500
        ? 'The server could not handle the request. Try again in a moment.'
        : `The server answered ${response.status}.`,
  });
}

/** Renews the access cookie from the refresh cookie; concurrent callers share one attempt. */
function refreshSession(): Promise<boolean> {
  refreshing ??= send('/api/auth/refresh', { method: 'POST', body: {} })
    .then((r) => r.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/**
 * Calls the API with the session cookies. An expired access token is renewed once and the call
 * retried; any failure is thrown as an ApiError.
 */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  // The access cookie is gone (expired) while the session lives: renew first rather than be refused.
  if (!NO_REFRESH.includes(path) && hasSession() && !hasCookie(SESSION_HINT_COOKIES.accessLive) && !(await refreshSession())) {
    onSessionExpired();
    throw new ApiError({ status: 401, code: 'unauthenticated', title: 'Signed out', detail: 'Your session has ended. Sign in again to continue.' });
  }
  let response = await send(path, options);
  if (response.status === 401 && !NO_REFRESH.includes(path)) {
    const body = await readBody(response);
    const error = toApiError(response, body);
    if (error.code !== 'unauthenticated') throw error;
    if (!(await refreshSession())) {
      onSessionExpired();
      throw error;
    }
    response = await send(path, options);
    if (response.status === 401) {
      const retryError = toApiError(response, await readBody(response));
      if (retryError.code === 'unauthenticated') onSessionExpired();
      throw retryError;
    }
  }
  const body = await readBody(response);
  if (!response.ok) throw toApiError(response, body);
  return body as T;
}

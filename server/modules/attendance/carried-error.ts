import { AppError, type FieldError } from '../../errors.js';

/** A self check-in whose scan id was delivered before: the command is rolled back and answered from the first delivery. */
export class ReplayedScan extends Error {
  constructor() {
    super('replayed scan');
    this.name = 'ReplayedScan';
  }
}

/**
 * An error as data, for the check-in writer thread: a check-in's refusal going to it, and whatever a
 * check-in failed with coming back. A structured clone keeps only an Error's message; the server's
 * answers need the problem document (AppError), the replayed scan, and a database error's `code`
 * (a unique key taken meanwhile, SQLITE_BUSY's 503).
 */
export type CarriedError =
  | { app: { status: number; code: string; title: string; detail?: string; errors?: FieldError[]; extra?: Record<string, unknown> } }
  | { replayed: true }
  | { message: string; name?: string; code?: string };

export function carryError(err: unknown): CarriedError {
  if (err instanceof AppError) return { app: { status: err.status, code: err.code, title: err.title, detail: err.detail, errors: err.errors, extra: err.extra } };
  if (err instanceof ReplayedScan) return { replayed: true };
  const e = err as { message?: unknown; name?: unknown; code?: unknown } | null;
  return {
    message: typeof e?.message === 'string' ? e.message : String(err),
    name: typeof e?.name === 'string' ? e.name : undefined,
    code: typeof e?.code === 'string' ? e.code : undefined,
  };
}

export function reviveError(c: CarriedError): Error {
  if ('app' in c) return new AppError(c.app.status, c.app.code, c.app.title, c.app.detail, c.app.errors, c.app.extra);
  if ('replayed' in c) return new ReplayedScan();
  const err = new Error(c.message) as Error & { code?: string };
  if (c.name) err.name = c.name;
  if (c.code) err.code = c.code;
  return err;
}

import { validationFailed } from '../errors.js';

/** An opaque keyset cursor carrying the sort key of the last row of a page. */
export function encodeCursor(values: string[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** The sort key inside a cursor made by encodeCursor; a tampered or foreign cursor is a 400. */
export function decodeCursor(cursor: string, arity: number): string[] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === arity && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // fall through
  }
  throw validationFailed('The cursor is not valid for this list.', [{ path: 'cursor', message: 'invalid cursor' }]);
}

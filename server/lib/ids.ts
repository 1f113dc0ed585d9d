import { randomBytes } from 'node:crypto';

let last = 0;
let seq = 0;

/**
 * Random bytes for ids are taken from a pool refilled 4 KiB at a time: one `randomBytes` call per
 * id cost about as much as the rest of `newId` and a check-in makes two ids.
 */
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;
function randomBase64url(bytes: number): string {
  if (poolOffset + bytes > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const out = pool.toString('base64url', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return out;
}

/**
 * A time-ordered opaque id (20 chars, base36): ordering by id is ordering by creation, which makes
 * keyset pagination by id stable across dialects.
 */
export function newId(): string {
  const now = Date.now();
  if (now === last) seq++;
  else {
    last = now;
    seq = 0;
  }
  return (
    now.toString(36).padStart(9, '0') +
    seq.toString(36).padStart(3, '0').slice(-3) +
    randomBase64url(6).replace(/[-_]/g, '0').toLowerCase().slice(0, 8)
  );
}

/** Current time as the ISO 8601 UTC string every table stores. */
export const nowIso = (): string => new Date().toISOString();

/** A random URL-safe secret of `bytes` bytes. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

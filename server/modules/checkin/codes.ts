import { createHmac, timingSafeEqual } from 'node:crypto';

/** Characters of the typed code: no 0/O, 1/I/L, 5/S, 2/Z, 8/B look-alikes. */
export const CODE_ALPHABET = '34679ACDEFGHJKMNPQRTUVWXY';
export const CODE_LENGTH = 6;
const QR_TOKEN_BYTES = 18;

export interface CodePolicy {
  /** Lifetime of a code when it does not rotate. */
  codeTtlSeconds: number;
  /** Rotation period; 0 = no rotation (one code per `codeTtlSeconds` window). */
  codeRotateSeconds: number;
}

export interface SessionCodeState extends CodePolicy {
  secret: string;
  /** When the session was opened (ms since epoch): steps count from here. */
  openedAtMs: number;
}

function stepSeconds(p: CodePolicy): number {
  return p.codeRotateSeconds > 0 ? p.codeRotateSeconds : p.codeTtlSeconds;
}

/** The index of the time step `nowMs` falls in. */
export function stepAt(s: SessionCodeState, nowMs: number): number {
  return Math.floor(Math.max(0, nowMs - s.openedAtMs) / (stepSeconds(s) * 1000));
}

function mac(secret: string, purpose: string, step: number): Buffer {
  return createHmac('sha256', secret).update(`${purpose}:${step}`).digest();
}

/**
 * Codes of recent (secret, step) pairs. A typed code is matched against every open session's
 * current code, so without this each check-in computed an HMAC per open session (and two for a
 * rotating one); a code only changes once per step.
 */
const memo = new Map<string, string>();
const MEMO_SIZE = 2000;
function memoised(purpose: string, secret: string, step: number, compute: () => string): string {
  const key = `${purpose}:${step}:${secret}`;
  let value = memo.get(key);
  if (value === undefined) {
    value = compute();
    if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value!);
    memo.set(key, value);
  }
  return value;
}

/** The 6-character typed code of a step (TOTP-style: HMAC of the session secret and the step). */
export function codeForStep(secret: string, step: number): string {
  return memoised('code', secret, step, () => {
    const digest = mac(secret, 'code', step);
    let out = '';
    for (let i = 0; i < CODE_LENGTH; i++) {
      out += CODE_ALPHABET[digest.readUInt32BE(i * 4) % CODE_ALPHABET.length];
    }
    return out;
  });
}

/** The longer token the QR carries; it changes with the code. */
export function qrTokenForStep(secret: string, step: number): string {
  return memoised('qr', secret, step, () => mac(secret, 'qr', step).subarray(0, QR_TOKEN_BYTES).toString('base64url'));
}

export interface CurrentCode {
  code: string;
  token: string;
  step: number;
  expiresAt: Date;
}

export function currentCode(s: SessionCodeState, nowMs = Date.now()): CurrentCode {
  const step = stepAt(s, nowMs);
  return {
    code: codeForStep(s.secret, step),
    token: qrTokenForStep(s.secret, step),
    step,
    expiresAt: new Date(s.openedAtMs + (step + 1) * stepSeconds(s) * 1000),
  };
}

/** Normalises what a student typed: upper-case, no spaces or dashes. */
export function normaliseCode(input: string): string {
  return input.trim().toUpperCase().replace(/[\s-]/g, '');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Whether `input` (a typed code or a QR token) is valid now. A rotating session also accepts the
 * previous step, so a student who scanned just before the change is not punished.
 */
export function matchesCode(s: SessionCodeState, input: string, nowMs = Date.now()): boolean {
  const step = stepAt(s, nowMs);
  const steps = s.codeRotateSeconds > 0 && step > 0 ? [step, step - 1] : [step];
  const typed = normaliseCode(input);
  const isTyped = typed.length === CODE_LENGTH;
  for (const st of steps) {
    if (isTyped ? same(typed, codeForStep(s.secret, st)) : same(input.trim(), qrTokenForStep(s.secret, st))) return true;
  }
  return false;
}

export function looksLikeTypedCode(input: string): boolean {
  const c = normaliseCode(input);
  return c.length === CODE_LENGTH && [...c].every((ch) => CODE_ALPHABET.includes(ch));
}

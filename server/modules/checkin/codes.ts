import { createHmac } from 'node:crypto';

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

/** The 6-character typed code of a step (TOTP-style: HMAC of the session secret and the step). */
export function codeForStep(secret: string, step: number): string {
  const digest = mac(secret, 'code', step);
  let out = '';
  for (let i = 0; i < CODE_LENGTH; i++) {
    out += CODE_ALPHABET[digest.readUInt32BE(i * 4) % CODE_ALPHABET.length];
  }
  return out;
}

/** The longer token the QR carries; it changes with the code. */
export function qrTokenForStep(secret: string, step: number): string {
  return mac(secret, 'qr', step).subarray(0, QR_TOKEN_BYTES).toString('base64url');
}

/**
 * The codes (even keys: 2 × step) and QR tokens (odd keys) already computed for a session's code
 * state. A typed code is matched against every open session's current code, so without this each
 * check-in computed an HMAC per open session (two for a rotating one); a code only changes once per
 * step. The states live in the open-session cache, so this goes when they do.
 */
const computed = new WeakMap<SessionCodeState, Map<number, string>>();
function cachedFor(s: SessionCodeState, qr: boolean, step: number): string {
  let values = computed.get(s);
  if (!values) {
    values = new Map();
    computed.set(s, values);
  }
  const key = step * 2 + (qr ? 1 : 0);
  let value = values.get(key);
  if (value === undefined) {
    value = qr ? qrTokenForStep(s.secret, step) : codeForStep(s.secret, step);
    if (values.size >= 16) values.clear();
    values.set(key, value);
  }
  return value;
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
    code: cachedFor(s, false, step),
    token: cachedFor(s, true, step),
    step,
    expiresAt: new Date(s.openedAtMs + (step + 1) * stepSeconds(s) * 1000),
  };
}

/** Normalises what a student typed: upper-case, no spaces or dashes. */
export function normaliseCode(input: string): string {
  return input.trim().toUpperCase().replace(/[\s-]/g, '');
}

/** Constant-time comparison (the lengths, 6 or 24, are no secret). */
function same(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * A matcher for what a student sent (a typed code or a QR token): whether it is valid now for a
 * session. A rotating session also accepts the previous step, so a student who scanned just before
 * the change is not punished. The input is normalised once, however many sessions it is tried on.
 */
export function codeMatcher(input: string): (s: SessionCodeState, nowMs?: number) => boolean {
  const { kind, key: candidate } = codeKey(input);
  const isTyped = kind === 'code';
  return (s, nowMs = Date.now()) => {
    const step = stepAt(s, nowMs);
    if (same(candidate, cachedFor(s, !isTyped, step))) return true;
    return s.codeRotateSeconds > 0 && step > 0 && same(candidate, cachedFor(s, !isTyped, step - 1));
  };
}

/** What a student sent, as it is compared: a normalised typed code, or else a QR token as sent (trimmed). */
export function codeKey(input: string): { kind: 'code' | 'qr'; key: string } {
  const typed = normaliseCode(input);
  return typed.length === CODE_LENGTH ? { kind: 'code', key: typed } : { kind: 'qr', key: input.trim() };
}

export interface AcceptedKeys {
  /** The typed codes accepted at the time asked (the current step's, and the previous one's when rotating). */
  codes: string[];
  /** The QR tokens accepted, likewise. */
  tokens: string[];
  /** When the current step ends (ms since epoch): until then exactly these are accepted. */
  until: number;
}

/**
 * Everything codeMatcher accepts for the session at `nowMs`, and until when: what the open-session
 * cache indexes, so a check-in looks its code up instead of trying every open session's.
 */
export function acceptedKeys(s: SessionCodeState, nowMs: number): AcceptedKeys {
  const step = stepAt(s, nowMs);
  const steps = s.codeRotateSeconds > 0 && step > 0 ? [step, step - 1] : [step];
  return {
    codes: steps.map((n) => cachedFor(s, false, n)),
    tokens: steps.map((n) => cachedFor(s, true, n)),
    until: s.openedAtMs + (step + 1) * stepSeconds(s) * 1000,
  };
}

/** Whether `input` (a typed code or a QR token) is valid now for the session (see codeMatcher). */
export function matchesCode(s: SessionCodeState, input: string, nowMs = Date.now()): boolean {
  return codeMatcher(input)(s, nowMs);
}

export function looksLikeTypedCode(input: string): boolean {
  const c = normaliseCode(input);
  return c.length === CODE_LENGTH && [...c].every((ch) => CODE_ALPHABET.includes(ch));
}

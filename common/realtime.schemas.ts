import { z } from 'zod';

/** Limits of one WebSocket connection (see docs/realtime.md). */
export const WS_LIMITS = {
  /** A message larger than this gets `ERROR payload_too_large`. */
  maxMessageBytes: 64 * 1024,
  /** A frame larger than this closes the socket with 1009 (it is never buffered). */
  maxFrameBytes: 1024 * 1024,
  /** Client messages per second; the excess gets `ERROR rate_limited` and is not processed. */
  messagesPerSecond: 50,
  /** Without `?token=`, a cookie or an `AUTH` message within this time the socket closes with 4401. */
  authTimeoutMs: 10_000,
  /** The server pings every socket this often and drops one that did not answer the previous ping. */
  heartbeatMs: 30_000,
  /** Topics one socket may hold at once. */
  maxSubscriptions: 200,
  /** A socket whose unsent backlog exceeds this is closed with 1013 (it reconnects and resyncs). */
  maxBufferedBytes: 8 * 1024 * 1024,
} as const;

/** Close codes the server uses. */
export const WS_CLOSE = {
  /** Server shutting down: reconnect (to another node). */
  goingAway: 1001,
  /** Frame larger than WS_LIMITS.maxFrameBytes. */
  tooLarge: 1009,
  /** The server could not check the credentials (database down): reconnect later. */
  internalError: 1011,
  /** The client reads too slowly to keep up: reconnect and take a snapshot. */
  tryAgainLater: 1013,
  /** Missing, invalid or expired credentials, or no AUTH in time. */
  unauthenticated: 4401,
} as const;

/** Error codes carried by `ERROR {code, message}` on the socket (besides the HTTP ones such as `forbidden`). */
export const WS_ERROR_CODES = [
  'invalid_json',
  'validation_failed',
  'unknown_event',
  'payload_too_large',
  'rate_limited',
  'unauthenticated',
  'forbidden',
  'unknown_topic',
  'too_many_subscriptions',
  'internal_error',
] as const;

export const wsRefSchema = z.union([z.string().max(100), z.number()]);
export type WsRef = z.infer<typeof wsRefSchema>;

/** Every message, both ways: `{event, data, ref?}`; server-pushed topic events also carry `topic`. */
export const wsEnvelopeSchema = z.object({
  event: z.string().min(1).max(64),
  data: z.unknown().optional(),
  ref: wsRefSchema.optional(),
});
export type WsEnvelope = z.infer<typeof wsEnvelopeSchema>;

/** `user:<id>` or `session:<id>` (more prefixes may be registered). */
export const topicSchema = z
  .string()
  .max(100)
  .regex(/^[a-z][a-z0-9_-]*:[A-Za-z0-9_-]{1,64}$/, 'a topic looks like "user:<id>" or "session:<id>"');

export const wsAuthData = z.object({ token: z.string().min(1).max(4096) });
export const wsTopicData = z.object({ topic: topicSchema });

export const wsReadyData = z.object({ userId: z.string(), role: z.enum(['admin', 'teacher', 'student']) });
export const wsErrorData = z.object({
  code: z.string(),
  message: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type WsErrorData = z.infer<typeof wsErrorData>;

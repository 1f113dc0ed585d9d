import { z } from 'zod';
import { recordSchema } from './attendance.schemas.js';
import { LIMITS } from './limits.js';
import { localDateSchema, sessionSchema } from './session.schemas.js';

/** Device keys start with this, so a key pasted in the wrong place is recognisable. */
export const DEVICE_KEY_PREFIX = 'rbd_';

export const deviceSchema = z.object({
  id: z.string(),
  name: z.string(),
  location: z.string().nullable(),
  /** The first characters of the key ("rbd_a1B2c3"), to tell keys apart; the key itself is never shown again. */
  keyPrefix: z.string(),
  createdAt: z.string(),
  lastSeenAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type Device = z.infer<typeof deviceSchema>;

export const createDeviceBody = z.strictObject({
  name: z.string().trim().min(1).max(LIMITS.nameMax),
  location: z.string().trim().min(1).max(LIMITS.venueMax).nullable().optional(),
});
export type CreateDeviceInput = z.infer<typeof createDeviceBody>;

export const createDeviceResponse = z.object({
  device: deviceSchema,
  /** `rbd_…`: shown this once; only its hash is stored. */
  apiKey: z.string(),
});

export const deviceMeResponse = z.object({
  device: deviceSchema,
  /** The open session bound to this device (the most recently opened one), or null. */
  session: sessionSchema.nullable(),
  /** The institution's time zone: the device's `date`/`time` are read in it. */
  timezone: z.string(),
  /** The server's clock, so a device can check its own. */
  serverTime: z.string(),
});

/** `HH:MM` or `HH:MM:SS`, 24-hour. */
export const scanTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, 'a time like 08:43:21');

/** A client-chosen id that makes a scan idempotent (retries and offline replays). */
export const scanIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only');

/**
 * Seed 002's body: `student_id` is the student number (a device may send it as a number), `date` and
 * `time` are when the device saw the student, in the institution's TIMEZONE. Unknown fields are ignored.
 */
export const scanBody = z
  .object({
    student_id: z.union([z.string().trim().min(1).max(LIMITS.numberMax), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)]),
    date: localDateSchema.optional(),
    time: scanTimeSchema.optional(),
    scan_id: scanIdSchema.optional(),
  })
  .refine((b) => b.date === undefined || b.time !== undefined, { path: ['time'], message: 'time is required when date is given' });
export type ScanInput = z.infer<typeof scanBody>;

export const scanResponse = z.object({
  record: recordSchema,
  /** Present (true) when the student was already recorded or the scan_id was already delivered. */
  duplicate: z.boolean().optional(),
});

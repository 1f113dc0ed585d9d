import { z } from 'zod';
import { recordSyncSchema } from './attendance.schemas.js';
import { idSchema, pageQuery } from './common.schemas.js';
import { LIMITS } from './limits.js';

/** Event types an endpoint can subscribe to (API.md "Integrations"); `ping` only comes from "Send test". */
export const WEBHOOK_EVENT_TYPES = [
  'record.created',
  'record.updated',
  'record.deleted',
  'session.opened',
  'session.closed',
  'session.cancelled',
  'absence.created',
  'absence.decided',
  'ping',
] as const;
export const webhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES);
export type WebhookEventType = z.infer<typeof webhookEventTypeSchema>;

/** Webhook secrets start with this (Standard Webhooks); the rest is base64 of the key bytes. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

export const webhookUrlMax = 2000;

/**
 * An http(s) URL without credentials in it: a password in a URL ends up in logs and screenshots, and
 * the signature already proves who is calling.
 */
export const webhookUrlSchema = z
  .url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' })
  .max(webhookUrlMax)
  .refine(
    (u) => {
      try {
        const parsed = new URL(u);
        return parsed.username === '' && parsed.password === '';
      } catch {
        return false;
      }
    },
    { message: 'must not contain a user name or password' },
  );

/** `["*"]` (every event but `ping`) or a list of known types. */
export const webhookEventsSchema = z
  .array(z.union([z.literal('*'), webhookEventTypeSchema]))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length + 1)
  .refine((events) => !events.includes('*') || events.length === 1, { message: '"*" stands alone: ["*"] or a list of types' });

export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.string()),
  active: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Webhook = z.infer<typeof webhookSchema>;

export const createWebhookBody = z.strictObject({
  url: webhookUrlSchema,
  events: webhookEventsSchema,
  description: z.string().trim().max(LIMITS.textMax).nullable().optional(),
  active: z.boolean().optional(),
});
export type CreateWebhookInput = z.infer<typeof createWebhookBody>;

export const updateWebhookBody = z.strictObject({
  url: webhookUrlSchema.optional(),
  events: webhookEventsSchema.optional(),
  description: z.string().trim().max(LIMITS.textMax).nullable().optional(),
  active: z.boolean().optional(),
});
export type UpdateWebhookInput = z.infer<typeof updateWebhookBody>;

export const createWebhookResponse = z.object({
  webhook: webhookSchema,
  /** `whsec_…`: shown this once. */
  secret: z.string(),
});

export const deliveryStateSchema = z.enum(['pending', 'delivered', 'failed']);
export type DeliveryState = z.infer<typeof deliveryStateSchema>;

export const deliverySchema = z.object({
  id: z.string(),
  eventId: z.string(),
  type: z.string(),
  state: deliveryStateSchema,
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
});
export type Delivery = z.infer<typeof deliverySchema>;

export const deliveriesQuery = pageQuery.extend({ state: deliveryStateSchema.optional() });
export const deliveryParams = z.object({ id: idSchema, deliveryId: idSchema });

/** `record.sync`: the worst delivery state of the record's latest event, or null when no endpoint wants it. */
export type RecordSync = z.infer<typeof recordSyncSchema>;

/** `/api/status` → `outbox`. */
export const outboxStatusSchema = z.object({
  pending: z.number().int(),
  failed: z.number().int(),
  /** Age of the oldest pending delivery, 0 when none. */
  oldestPendingSeconds: z.number().int(),
});
export type OutboxStatus = z.infer<typeof outboxStatusSchema>;

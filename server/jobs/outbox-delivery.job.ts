import { setTimeout } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { CLAIM_BATCH, deliverDueBatch, pruneOutbox, type DeliveryDeps } from '../modules/webhooks/delivery.service.js';
import { WebhookSender } from '../modules/webhooks/webhook-sender.js';
import type { Job } from './scheduler.js';

export const OUTBOX_DELIVERY_JOB = 'outbox-delivery';

/** One run keeps claiming while there is due work, but yields after this long so the timer stays fair. */
const RUN_BUDGET_MS = 5_000;
const PRUNE_EVERY_MS = 3_600_000;
/** The pause before the next batch after one that was not full (the first batch of a run goes at once). */
const BATCH_GATHER_MS = 50;

/**
 * Sends due webhook deliveries (on every node: claims are atomic) and, about hourly, prunes delivered
 * events past OUTBOX_RETENTION_DAYS. Polls every OUTBOX_POLL_MS; `app.outbox.kick()` after a commit
 * wakes it at once.
 */
export function outboxDeliveryJob(app: FastifyInstance): Job {
  let lastPruneAt = 0;
  const sender = new WebhookSender();
  app.addHook('onClose', () => sender.close());
  const deps = (): DeliveryDeps => ({
    db: app.db,
    postgres: app.dialect === 'postgres',
    log: app.log,
    timeoutMs: app.config.WEBHOOK_TIMEOUT_MS,
    retryBaseMs: app.config.OUTBOX_RETRY_BASE_MS,
    retryMaxMs: app.config.OUTBOX_RETRY_MAX_MS,
    maxAttempts: app.config.OUTBOX_MAX_ATTEMPTS,
    sender,
    store: app.checkinWriter,
    onOutcome: (outcome) => app.metrics.webhookDeliveries.inc({ outcome }),
  });
  return {
    name: OUTBOX_DELIVERY_JOB,
    everyMs: app.config.OUTBOX_POLL_MS,
    run: async () => {
      const d = deps();
      const started = Date.now();
      for (;;) {
        const claimed = await deliverDueBatch(d);
        if (claimed === 0 || Date.now() - started >= RUN_BUDGET_MS) break;
        // Keep going: more may have become the head of their queue. On SQLite, after a batch that was
        // not full, let the next one gather for a moment: each batch costs the event loop its claim,
        // its outcomes' transaction and their commit whatever its size, and with an endpoint on every
        // check-in a batch per few check-ins took a tenth of their throughput (docs/performance-history.md,
        // "Webhook deliveries"). Not on PostgreSQL, whose claims take only each queue's head: its
        // batches are short by design, and a pause would hold every queue back.
        if (!d.postgres && claimed < CLAIM_BATCH) await setTimeout(BATCH_GATHER_MS, undefined, { ref: false });
      }
      if (Date.now() - lastPruneAt > PRUNE_EVERY_MS) {
        lastPruneAt = Date.now();
        const pruned = await pruneOutbox(app.db, app.config.OUTBOX_RETENTION_DAYS);
        if (pruned > 0) app.log.info({ pruned }, 'pruned delivered outbox events');
      }
    },
  };
}

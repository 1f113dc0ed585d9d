import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { idParams, pageOf, pageQuery } from '../../../common/common.schemas.js';
import {
  createWebhookBody,
  createWebhookResponse,
  deliveriesQuery,
  deliveryParams,
  deliverySchema,
  updateWebhookBody,
  webhookSchema,
} from '../../../common/webhook.schemas.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listDeliveriesPage,
  listWebhooksPage,
  retryDelivery,
  sendTestPing,
  updateWebhook,
  type WebhookDeps,
} from './webhooks.service.js';

/** Bus topic on which a node announces that the endpoint list changed (never a client topic). */
export const WEBHOOKS_CHANGED_TOPIC = 'internal:webhooks';
const WEBHOOKS_CHANGED = 'WEBHOOKS_CHANGED';

const admin = requireUser('admin');
const tags = ['integrations'];

/** Webhook endpoints and their deliveries (API.md "Integrations"); admins only. */
export default async function webhooksRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // Another node changed an endpoint: drop our copy now rather than after its TTL.
  await app.bus.subscribe(WEBHOOKS_CHANGED_TOPIC, () => app.webhooks.invalidate());
  const deps: WebhookDeps = {
    db: app.db,
    endpointsChanged: () => {
      app.webhooks.invalidate();
      app.bus.publish(WEBHOOKS_CHANGED_TOPIC, WEBHOOKS_CHANGED, {});
    },
    kick: () => app.outbox.kick(),
  };

  r.post(
    '/api/webhooks',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Add a webhook endpoint: returns its signing secret (whsec_…) this once',
        description: '`url` must be http(s) without credentials; `events` is ["*"] (every event but ping) or a list of types. See docs/integrations.md.',
        body: createWebhookBody,
        response: { 201: createWebhookResponse },
      },
    },
    async (request, reply) => reply.status(201).send(await createWebhook(deps, authOf(request), request.body)),
  );

  r.get(
    '/api/webhooks',
    { onRequest: admin, schema: { tags, summary: 'Webhook endpoints', querystring: pageQuery, response: { 200: pageOf(webhookSchema) } } },
    async (request) => listWebhooksPage(deps, request.query),
  );

  r.get(
    '/api/webhooks/:id',
    { onRequest: admin, schema: { tags, summary: 'One webhook endpoint (never its secret)', params: idParams, response: { 200: webhookSchema } } },
    async (request) => getWebhook(deps, request.params.id),
  );

  r.patch(
    '/api/webhooks/:id',
    {
      onRequest: admin,
      schema: { tags, summary: 'Change an endpoint’s URL, events, description or active flag', params: idParams, body: updateWebhookBody, response: { 200: webhookSchema } },
    },
    async (request) => updateWebhook(deps, authOf(request), request.params.id, request.body),
  );

  r.delete(
    '/api/webhooks/:id',
    { onRequest: admin, schema: { tags, summary: 'Remove an endpoint and its deliveries', params: idParams } },
    async (request, reply) => {
      await deleteWebhook(deps, authOf(request), request.params.id);
      return reply.status(204).send();
    },
  );

  r.post(
    '/api/webhooks/:id/test',
    {
      onRequest: admin,
      schema: { tags, summary: 'Queue a `ping` event for this endpoint only', params: idParams, response: { 202: deliverySchema } },
    },
    async (request, reply) => reply.status(202).send(await sendTestPing(deps, authOf(request), request.params.id)),
  );

  r.get(
    '/api/webhooks/:id/deliveries',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'The endpoint’s deliveries, newest first, optionally by state',
        params: idParams,
        querystring: deliveriesQuery,
        response: { 200: pageOf(deliverySchema) },
      },
    },
    async (request) => listDeliveriesPage(deps, request.params.id, request.query),
  );

  r.post(
    '/api/webhooks/:id/deliveries/:deliveryId/retry',
    {
      onRequest: admin,
      schema: { tags, summary: 'Send a delivery again now (pending, with a fresh schedule of attempts)', params: deliveryParams, response: { 202: deliverySchema } },
    },
    async (request, reply) => reply.status(202).send(await retryDelivery(deps, authOf(request), request.params.id, request.params.deliveryId)),
  );
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { idParams, problemSchema } from '../../../common/common.schemas.js';
import {
  listNotificationsQuery,
  notificationPageSchema,
  notificationSchema,
  readAllResultSchema,
  testNotificationBody,
} from '../../../common/notification.schemas.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import { listMyNotifications, markAllNotificationsRead, markNotificationRead, sendTestNotification } from './notifications.service.js';

export default async function notificationsRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/notifications',
    {
      onRequest: requireUser(),
      schema: {
        tags: ['notifications'],
        summary: 'My notifications, newest first, with the unread count',
        querystring: listNotificationsQuery,
        response: { 200: notificationPageSchema },
      },
    },
    async (request) => listMyNotifications(app.db, authOf(request).userId, request.query),
  );

  r.post(
    '/api/notifications/read-all',
    {
      onRequest: requireUser(),
      schema: { tags: ['notifications'], summary: 'Mark all my notifications read', response: { 200: readAllResultSchema } },
    },
    async (request) => markAllNotificationsRead(app, authOf(request).userId),
  );

  r.post(
    '/api/notifications/test',
    {
      onRequest: requireUser('admin'),
      schema: {
        tags: ['notifications'],
        summary: 'Send a test notification to a user (checks live and mail delivery)',
        body: testNotificationBody,
        response: { 201: notificationSchema, 404: problemSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await sendTestNotification(app, request.body.userId, request.body.message)),
  );

  r.post(
    '/api/notifications/:id/read',
    {
      onRequest: requireUser(),
      schema: {
        tags: ['notifications'],
        summary: 'Mark one of my notifications read',
        params: idParams,
        response: { 200: notificationSchema, 404: problemSchema },
      },
    },
    async (request) => markNotificationRead(app, authOf(request).userId, request.params.id),
  );
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idParams, pageOf } from '../../../common/common.schemas.js';
import {
  bulkPreviewSchema,
  bulkSessionsBody,
  cancelSessionBody,
  createSessionBody,
  listSessionsQuery,
  sessionSchema,
  sessionWithCourseSchema,
  updateSessionBody,
} from '../../../common/session.schemas.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import {
  canStaffSession,
  cancelSession,
  createBulkSessions,
  createSession,
  deleteSession,
  getSession,
  listSessionsPage,
  previewBulkSessions,
  updateSession,
} from './sessions.service.js';

export default async function sessionsRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['sessions'];
  const staff = requireUser('admin', 'teacher');
  const tz = app.config.TIMEZONE;
  // How many sessions remain moves the "can no longer reach the threshold" rule.
  const scheduleChanged = (courseId: string) => app.warningEvaluator.courseChanged(courseId);

  // session:<id> carries check-ins, marks and codes: the course's teachers and admins only.
  app.topics.register('session', (auth, id) => canStaffSession(app.db, auth, id));

  r.post(
    '/api/courses/:id/sessions',
    {
      onRequest: staff,
      schema: { tags, summary: 'Add one session', params: idParams, body: createSessionBody, response: { 201: sessionSchema } },
    },
    async (request, reply) => {
      const session = await createSession(app.db, authOf(request), request.params.id, request.body);
      scheduleChanged(session.courseId);
      return reply.status(201).send(session);
    },
  );

  r.post(
    '/api/courses/:id/sessions/bulk',
    {
      onRequest: staff,
      schema: {
        tags,
        summary: "Add sessions from a weekly pattern (dates and times in the institution's TIMEZONE)",
        params: idParams,
        body: bulkSessionsBody,
        response: { 201: z.object({ items: z.array(sessionSchema) }) },
      },
    },
    async (request, reply) => {
      const items = await createBulkSessions(app.db, authOf(request), request.params.id, request.body, tz);
      scheduleChanged(request.params.id);
      return reply.status(201).send({ items });
    },
  );

  r.post(
    '/api/courses/:id/sessions/bulk/preview',
    {
      onRequest: staff,
      schema: {
        tags,
        summary: 'The sessions a weekly pattern would create, with their numbers; nothing is written',
        params: idParams,
        body: bulkSessionsBody,
        response: { 200: bulkPreviewSchema },
      },
    },
    async (request) => previewBulkSessions(app.db, authOf(request), request.params.id, request.body, tz),
  );

  r.get(
    '/api/sessions',
    {
      onRequest: staff,
      schema: {
        tags,
        summary: 'Sessions by start time (teachers: of the courses they teach)',
        description: '`from`/`to` are dates (whole days in TIMEZONE, `to` inclusive) or date-times; they bound the start.',
        querystring: listSessionsQuery,
        response: { 200: pageOf(sessionWithCourseSchema) },
      },
    },
    async (request) => listSessionsPage(app.db, authOf(request), request.query, tz),
  );

  r.get(
    '/api/sessions/:id',
    { onRequest: staff, schema: { tags, params: idParams, response: { 200: sessionSchema } } },
    async (request) => getSession(app.db, authOf(request), request.params.id),
  );

  r.patch(
    '/api/sessions/:id',
    {
      onRequest: staff,
      schema: {
        tags,
        summary: 'Edit a scheduled session (else 409 invalid_state)',
        params: idParams,
        body: updateSessionBody,
        response: { 200: sessionSchema },
      },
    },
    async (request) => updateSession(app, authOf(request), request.params.id, request.body),
  );

  r.delete(
    '/api/sessions/:id',
    { onRequest: staff, schema: { tags, summary: 'Delete a scheduled session (else 409 invalid_state)', params: idParams } },
    async (request, reply) => {
      const { courseId } = await deleteSession(app.db, authOf(request), request.params.id);
      scheduleChanged(courseId);
      return reply.status(204).send();
    },
  );

  r.post(
    '/api/sessions/:id/cancel',
    {
      onRequest: staff,
      schema: {
        tags,
        summary: "Cancel a scheduled or open session; its students are notified",
        params: idParams,
        body: cancelSessionBody,
        response: { 200: sessionSchema },
      },
    },
    async (request) => {
      const session = await cancelSession(app, authOf(request), request.params.id, request.body.reason);
      scheduleChanged(session.courseId);
      return session;
    },
  );
}

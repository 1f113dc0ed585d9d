import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { listWarningsQuery, myWarningsSchema, warningPageSchema } from '../../../common/warning.schemas.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import { listWarningsPage, myWarnings } from './warnings.service.js';

/** Attendance warnings: the staff's list and the student's own. */
export default async function warningsRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/warnings',
    {
      onRequest: requireUser('teacher', 'admin'),
      schema: {
        tags: ['warnings'],
        summary: 'Attendance warnings, newest first (teachers: their courses); state open (default), resolved or all',
        querystring: listWarningsQuery,
        response: { 200: warningPageSchema },
      },
    },
    async (request) => listWarningsPage(app.db, authOf(request), request.query),
  );

  r.get(
    '/api/me/warnings',
    {
      onRequest: requireUser('student'),
      schema: { tags: ['warnings'], summary: 'My open attendance warnings', response: { 200: myWarningsSchema } },
    },
    async (request) => myWarnings(app.db, authOf(request)),
  );
}

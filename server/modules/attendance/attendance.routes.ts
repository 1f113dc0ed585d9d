import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordSchema, recordsResponseSchema, summarySchema } from '../../../common/attendance.schemas.js';
import { idParams, idSchema } from '../../../common/common.schemas.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import { confirmRecords, sessionRecords, summaryForStaff } from './attendance.service.js';

const staff = requireUser('teacher', 'admin');
const recordParams = z.object({ id: idSchema, studentId: idSchema });

export default async function attendanceRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/sessions/:id/records',
    {
      onRequest: staff,
      schema: {
        tags: ['running a session'],
        summary: 'Every record of the session with its student, newest check-in first, and the summary',
        params: idParams,
        response: { 200: recordsResponseSchema },
      },
    },
    async (request) => sessionRecords(app, authOf(request), request.params.id),
  );

  r.get(
    '/api/sessions/:id/summary',
    {
      onRequest: staff,
      schema: { tags: ['running a session'], summary: 'Live counts', params: idParams, response: { 200: summarySchema } },
    },
    async (request) => summaryForStaff(app, authOf(request), request.params.id),
  );

  r.post(
    '/api/sessions/:id/records/:studentId/confirm',
    {
      onRequest: staff,
      schema: {
        tags: ['running a session'],
        summary: 'Confirm a pending check-in (the student is notified)',
        params: recordParams,
        response: { 200: z.object({ record: recordSchema }) },
      },
    },
    async (request) => {
      const [record] = await confirmRecords(app, authOf(request), request.params.id, request.params.studentId);
      return { record };
    },
  );

  r.post(
    '/api/sessions/:id/records/confirm-all',
    {
      onRequest: staff,
      schema: {
        tags: ['running a session'],
        summary: 'Confirm every pending check-in of the session',
        params: idParams,
        response: { 200: z.object({ items: z.array(recordSchema) }) },
      },
    },
    async (request) => ({ items: await confirmRecords(app, authOf(request), request.params.id, null) }),
  );
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordSchema } from '../../../common/attendance.schemas.js';
import { idParams, idSchema } from '../../../common/common.schemas.js';
import {
  auditEventSchema,
  auditPageSchema,
  auditQuery,
  deleteRecordQuery,
  markRecordBody,
  wsAttendanceMarkedData,
  wsSessionRefData,
} from '../../../common/roll-call.schemas.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import { assertSessionStaff, closeSessionAsStaff } from '../live-sessions/live-sessions.service.js';
import { sessionSummary } from './records.repository.js';
import { deleteRecord, markRecord, ownRecord, ownRecordHistory, resolveSessionRef, sessionAuditPage } from './roll-call.service.js';

const staff = requireUser('teacher', 'admin');
const recordParams = z.object({ id: idSchema, studentId: idSchema });

/** Roll call (HTTP and seed 001's socket events), edits after the fact, deletion, and the audit trail. */
export default async function rollCallRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.put(
    '/api/sessions/:id/records/:studentId',
    {
      onRequest: staff,
      schema: {
        tags: ['running a session'],
        summary: 'Mark a student (roll call) or edit their record, in an open or closed session; audited',
        description:
          'Creates the record (method `rollcall`) or changes it (the method is kept); the record becomes confirmed and its version goes up. ' +
          '`note` is kept on the record and is the audit reason. Without `expectedVersion` the last write wins; with it a stale edit is 409 `conflict`. ' +
          'Everyone on `session:<id>` gets `RECORD_UPDATED {record}` (also for a new record) and a new `SUMMARY`. ' +
          '409 `invalid_state` for a scheduled or cancelled session, 403 `not_enrolled` for a student outside the course.',
        params: recordParams,
        body: markRecordBody,
        response: { 200: z.object({ record: recordSchema }) },
      },
    },
    async (request) => {
      const { record } = await markRecord(app, authOf(request), request.params.id, request.params.studentId, request.body);
      return { record };
    },
  );

  r.delete(
    '/api/sessions/:id/records/:studentId',
    {
      onRequest: requireUser('admin'),
      schema: {
        tags: ['running a session'],
        summary: 'Delete a record (admins only); audited with the whole record, `RECORD_DELETED` to the session topic',
        params: recordParams,
        querystring: deleteRecordQuery,
      },
    },
    async (request, reply) => {
      await deleteRecord(app, authOf(request), request.params.id, request.params.studentId, request.query.reason ?? null);
      return reply.status(204).send();
    },
  );

  r.get(
    '/api/sessions/:id/audit',
    {
      onRequest: staff,
      schema: {
        tags: ['running a session'],
        summary: "The session's audit trail, newest first: every record change (who, before, after, why) and the session's own events",
        params: idParams,
        querystring: auditQuery,
        response: { 200: auditPageSchema },
      },
    },
    async (request) => sessionAuditPage(app, authOf(request), request.params.id, request.query),
  );

  r.get(
    '/api/me/records/:sessionId/history',
    {
      onRequest: requireUser('student'),
      schema: {
        tags: ['my attendance'],
        summary: "A student's own record in a session and its history: every change, who made it and why, newest first",
        params: z.object({ sessionId: idSchema }),
        response: { 200: z.object({ record: recordSchema.nullable(), items: z.array(auditEventSchema) }) },
      },
    },
    async (request) => ownRecordHistory(app, authOf(request), request.params.sessionId),
  );

  // Seed 001's socket events. `classId` is a course id meaning its open session.
  app.socketEvents.register(
    'ATTENDANCE_MARKED',
    async (socket, data) => {
      const session = await resolveSessionRef(app.db, socket.auth, data);
      const { record } = await markRecord(app, socket.auth, session.id, data.studentId, {
        status: data.status,
        note: data.note,
        expectedVersion: data.expectedVersion,
      });
      return { event: 'ACK', data: { record } };
    },
    { schema: wsAttendanceMarkedData, roles: ['teacher', 'admin'] },
  );

  app.socketEvents.register(
    'TODAY_SUMMARY',
    async (socket, data) => {
      const ref = await resolveSessionRef(app.db, socket.auth, data);
      const session = await assertSessionStaff(app.db, socket.auth, ref.id);
      return { event: 'SUMMARY', data: { sessionId: session.id, summary: await sessionSummary(app.db, session.id, session.course_id) } };
    },
    { schema: wsSessionRefData, roles: ['teacher', 'admin'] },
  );

  app.socketEvents.register(
    'MY_ATTENDANCE',
    async (socket, data) => {
      const session = await resolveSessionRef(app.db, socket.auth, data);
      return { event: 'MY_ATTENDANCE', data: { sessionId: session.id, record: await ownRecord(app.db, socket.auth.userId, session) } };
    },
    { schema: wsSessionRefData, roles: ['student'] },
  );

  app.socketEvents.register(
    'DONE',
    async (socket, data) => {
      const session = await resolveSessionRef(app.db, socket.auth, data);
      const closed = await closeSessionAsStaff(app, socket.auth, session.id);
      return { event: 'ACK', data: closed };
    },
    { schema: wsSessionRefData, roles: ['teacher', 'admin'] },
  );
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idParams, pageOf } from '../../../common/common.schemas.js';
import {
  courseStudentParams,
  courseStudentSchema,
  enrollBody,
  enrollmentImportResultSchema,
  enrollResultSchema,
  listCourseStudentsQuery,
} from '../../../common/course.schemas.js';
import { LIMITS } from '../../../common/limits.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import { announceAccessChange } from '../../realtime/access-changes.js';
import { publishRosterChange, type RosterChange } from '../../realtime/live-events.js';
import { enrollStudents, importEnrollmentsCsv, listCourseStudentsPage, unenrollStudent } from './enrollments.service.js';

export default async function enrollmentsRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['enrollment'];
  const announce = (change: RosterChange) => publishRosterChange(app, change);

  // CSV arrives as text/csv; keep it a string and let the service parse it.
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: LIMITS.csvMaxBytes }, (_req, body, done) =>
    done(null, body),
  );

  r.post(
    '/api/courses/:id/enrollments',
    {
      onRequest: requireUser('admin', 'teacher'),
      schema: {
        tags,
        summary: 'Enroll students by id, by student number, or a whole section',
        params: idParams,
        body: enrollBody,
        response: { 200: enrollResultSchema },
      },
    },
    async (request) => enrollStudents(app.db, authOf(request), request.params.id, request.body, announce),
  );

  r.get(
    '/api/courses/:id/students',
    {
      onRequest: requireUser('admin', 'teacher'),
      schema: {
        tags,
        summary: "The course's students (roster), by name",
        params: idParams,
        querystring: listCourseStudentsQuery,
        response: { 200: pageOf(courseStudentSchema) },
      },
    },
    async (request) => listCourseStudentsPage(app.db, authOf(request), request.params.id, request.query),
  );

  r.delete(
    '/api/courses/:id/students/:studentId',
    {
      onRequest: requireUser('admin', 'teacher'),
      schema: { tags, summary: 'Take a student off the roster (records are kept)', params: courseStudentParams },
    },
    async (request, reply) => {
      await unenrollStudent(app.db, authOf(request), request.params.id, request.params.studentId, announce);
      announceAccessChange(app, { userIds: [request.params.studentId], reason: 'unenrolled' });
      return reply.status(204).send();
    },
  );

  r.post(
    '/api/enrollments/import',
    {
      onRequest: requireUser('admin', 'teacher'),
      bodyLimit: LIMITS.csvMaxBytes,
      schema: {
        tags,
        summary: 'Import enrollments from CSV (header: courseCode,studentNumber)',
        description:
          'Send the file as `text/csv`. With any invalid line nothing is written and every bad line is reported, unless `partial=true`. Teachers may import into their own courses only.',
        querystring: z.object({ partial: z.enum(['true', 'false']).default('false') }),
        body: z.string().max(LIMITS.csvMaxBytes),
        response: { 200: enrollmentImportResultSchema },
      },
    },
    async (request) => importEnrollmentsCsv(app.db, authOf(request), request.body, request.query.partial === 'true', announce),
  );
}

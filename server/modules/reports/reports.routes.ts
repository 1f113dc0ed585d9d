import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { idParams } from '../../../common/common.schemas.js';
import { courseReportSchema, myAttendanceQuery, myAttendanceSchema } from '../../../common/report.schemas.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import { courseRecordsCsv, courseReport, courseReportCsv, myAttendance } from './reports.service.js';

const staff = requireUser('teacher', 'admin');
const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');

export default async function reportsRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/me/attendance',
    {
      onRequest: requireUser('student'),
      schema: {
        tags: ['reports'],
        summary: 'My attendance per course: held sessions, attended (present + late), percentage, below threshold, records',
        querystring: myAttendanceQuery,
        response: { 200: myAttendanceSchema },
      },
    },
    async (request) => myAttendance(app.db, authOf(request), request.query.courseId),
  );

  r.get(
    '/api/courses/:id/report',
    {
      onRequest: staff,
      schema: {
        tags: ['reports'],
        summary: "Every student's attendance in the course, lowest percentage first",
        params: idParams,
        response: { 200: courseReportSchema },
      },
    },
    async (request) => courseReport(app.db, authOf(request), request.params.id),
  );

  r.get(
    '/api/courses/:id/report.csv',
    {
      onRequest: staff,
      schema: { tags: ['reports'], summary: 'The course report as CSV', params: idParams },
    },
    async (request, reply) => {
      const report = await courseReport(app.db, authOf(request), request.params.id);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${safeName(report.course.code)}-attendance.csv"`)
        .send(courseReportCsv(report));
    },
  );

  r.get(
    '/api/courses/:id/records.csv',
    {
      onRequest: staff,
      schema: { tags: ['reports'], summary: 'Every attendance record of the course as CSV (streamed)', params: idParams },
    },
    async (request, reply) => {
      const lines = courseRecordsCsv(app.db, authOf(request), request.params.id);
      // Authorisation happens on the first pull: surface its error as a problem document, not a broken stream.
      const first = await lines.next();
      async function* rest() {
        if (!first.done) yield first.value;
        yield* lines;
      }
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="course-${safeName(request.params.id)}-records.csv"`)
        .send(Readable.from(rest()));
    },
  );
}

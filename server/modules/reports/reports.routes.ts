import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { idParams } from '../../../common/common.schemas.js';
import { courseGridSchema, courseReportSchema, myAttendanceQuery, myAttendanceSchema, overviewQuery, overviewSchema } from '../../../common/report.schemas.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import {
  courseGrid,
  courseRecordsCsv,
  courseReport,
  courseReportCsv,
  courseReportPdfFile,
  courseReportXlsxFile,
  myAttendance,
  reportsOverview,
  signInSheetFile,
} from './reports.service.js';

const staff = requireUser('teacher', 'admin');

/**
 * For the big report bodies (a 500 × 60 grid is 30,000 cells): the response schema documents them
 * in the OpenAPI document but is not checked against each reply, which cost as much as writing the
 * JSON (the bodies are built field by field from typed rows; the report tests check their shape).
 */
const plainJson = () => (data: unknown) => JSON.stringify(data);
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
      serializerCompiler: plainJson,
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
      const csv = await courseRecordsCsv(app.db, authOf(request), request.params.id);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="course-${safeName(request.params.id)}-records.csv"`)
        .send(csv);
    },
  );

  r.get(
    '/api/courses/:id/grid',
    {
      onRequest: staff,
      serializerCompiler: plainJson,
      schema: {
        tags: ['reports'],
        summary: 'Students × held sessions (oldest first): each cell the record status or null, with percentages',
        params: idParams,
        response: { 200: courseGridSchema },
      },
    },
    async (request) => courseGrid(app.db, authOf(request), request.params.id),
  );

  r.get(
    '/api/courses/:id/report.xlsx',
    {
      onRequest: staff,
      schema: { tags: ['reports'], summary: 'The course report as a spreadsheet: sheets Summary, Grid and Records', params: idParams },
    },
    async (request, reply) => {
      const file = await courseReportXlsxFile(app.db, authOf(request), request.params.id, app.config.TIMEZONE, (err) =>
        request.log.error({ err }, 'the XLSX export failed midway'),
      );
      return reply
        .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', `attachment; filename="${safeName(file.course.code)}-attendance.xlsx"`)
        .send(file.stream);
    },
  );

  r.get(
    '/api/courses/:id/report.pdf',
    {
      onRequest: staff,
      schema: { tags: ['reports'], summary: 'The course report as a printable PDF', params: idParams },
    },
    async (request, reply) => {
      const file = await courseReportPdfFile(app.db, authOf(request), request.params.id, app.config.TIMEZONE);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="${safeName(file.course.code)}-attendance.pdf"`)
        .send(file.stream);
    },
  );

  r.get(
    '/api/sessions/:id/sheet.pdf',
    {
      onRequest: staff,
      schema: {
        tags: ['reports'],
        summary: "A printable sign-in sheet: the roster with a signature column, and the open session's QR and code",
        params: idParams,
      },
    },
    async (request, reply) => {
      const file = await signInSheetFile(app, authOf(request), request.params.id);
      return reply
        .type('application/pdf')
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="${safeName(file.course.code)}-${file.session.number}-sign-in.pdf"`)
        .send(file.stream);
    },
  );

  r.get(
    '/api/reports/overview',
    {
      onRequest: requireUser('admin'),
      serializerCompiler: plainJson,
      schema: {
        tags: ['reports'],
        summary: 'Institution figures per department and course over held sessions: attendance, below threshold, weekly trend',
        querystring: overviewQuery,
        response: { 200: overviewSchema },
      },
    },
    async (request) => reportsOverview(app.db, app.config.TIMEZONE, request.query),
  );

  r.get(
    '/api/reports/my-courses',
    {
      onRequest: staff,
      schema: {
        tags: ['reports'],
        summary: "The overview restricted to the courses the caller teaches (the teacher's home: sparklines and at-risk counts)",
        querystring: overviewQuery,
        response: { 200: overviewSchema },
      },
    },
    async (request) => reportsOverview(app.db, app.config.TIMEZONE, request.query, authOf(request).userId),
  );
}

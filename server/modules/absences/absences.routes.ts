import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  absenceCountsSchema,
  absenceDecisionBody,
  absenceSchema,
  attachmentParams,
  attachmentSchema,
  cancellationsBody,
  createAbsenceBody,
  listAbsencesQuery,
} from '../../../common/absence.schemas.js';
import { idParams, pageOf } from '../../../common/common.schemas.js';
import { sessionSchema } from '../../../common/session.schemas.js';
import { AppError } from '../../errors.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import {
  addAttachment,
  createAbsence,
  decideAbsence,
  getAbsence,
  listAbsencesPage,
  openAttachment,
  pendingCount,
  removeAttachment,
  withdrawAbsence,
  type IncomingFile,
} from './absences.service.js';
import { cancelCourseSessions } from './cancellations.service.js';

/** The one file of an upload, streaming; a request that is not multipart gets 415. */
async function fileOf(request: FastifyRequest): Promise<IncomingFile | undefined> {
  if (!request.isMultipart()) {
    throw new AppError(415, 'unsupported_media_type', 'Unsupported media type', 'Send the file as multipart/form-data in the field `file`.');
  }
  const part = await request.file();
  if (!part) return undefined;
  if (part.fieldname !== 'file') {
    part.file.resume();
    throw new AppError(400, 'validation_failed', 'Validation failed', 'The file must be in the multipart field `file`.', [
      { path: part.fieldname, message: 'unexpected field; use `file`' },
    ]);
  }
  return { filename: part.filename, stream: part.file, truncated: () => part.file.truncated };
}

/** `attachment; filename=…` with an ASCII fallback and the exact name in RFC 5987 form. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export default async function absencesRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['absences'];
  const anyone = requireUser();
  const staff = requireUser('admin', 'teacher');
  const student = requireUser('student');

  r.post(
    '/api/absences',
    {
      onRequest: student,
      schema: {
        tags,
        summary: 'A student asks to be excused from sessions (by id, or every session of the course in a date range)',
        description:
          '`from`/`to` are dates in TIMEZONE, both inclusive, covering past and future sessions. 403 `not_enrolled`; 400 `validation_failed` when it covers no session or names another course’s.',
        body: createAbsenceBody,
        response: { 201: absenceSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await createAbsence(app, authOf(request), request.body)),
  );

  r.get(
    '/api/absences',
    {
      onRequest: anyone,
      schema: {
        tags,
        summary: 'Absence requests, newest first: a student’s own, a teacher’s courses’, or all for an admin',
        querystring: listAbsencesQuery,
        response: { 200: pageOf(absenceSchema) },
      },
    },
    async (request) => listAbsencesPage(app.db, authOf(request), request.query),
  );

  r.get(
    '/api/absences/counts',
    {
      onRequest: staff,
      schema: { tags, summary: 'How many requests wait for a decision (a teacher’s courses; all for an admin)', response: { 200: absenceCountsSchema } },
    },
    async (request) => pendingCount(app.db, authOf(request)),
  );

  r.get(
    '/api/absences/:id',
    { onRequest: anyone, schema: { tags, summary: 'One absence request', params: idParams, response: { 200: absenceSchema } } },
    async (request) => getAbsence(app.db, authOf(request), request.params.id),
  );

  // Only the upload route parses multipart, so every other route still answers 415 to it. Uploads
  // stream (never buffered whole), one file per request; busboy stops one byte past UPLOAD_MAX_MB,
  // so the storage's own meter sees the excess and refuses it (413) instead of a truncated file.
  await app.register(async (scope) => {
    await scope.register(multipart, {
      limits: { fileSize: Math.floor(app.config.UPLOAD_MAX_MB * 1024 * 1024) + 1, files: 1, fields: 10, parts: 11, fieldSize: 10_000, headerPairs: 100 },
      // Keep the name as sent, so a name with a path in it is refused rather than silently shortened.
      preservePath: true,
    });
    const u = scope.withTypeProvider<ZodTypeProvider>();
    u.post(
      '/api/absences/:id/attachments',
      {
        onRequest: student,
        schema: {
          tags,
          summary: 'Attach a file (PDF, JPEG, PNG, WebP, HEIC; judged from the content) to your pending request',
          description:
            '`multipart/form-data` with one file field `file`. 413 `file_too_large` over UPLOAD_MAX_MB; 415 `unsupported_file_type`; 409 `too_many_attachments` past 5; 400 for an empty file or a file name with a path or control characters.',
          consumes: ['multipart/form-data'],
          params: idParams,
          response: { 201: attachmentSchema },
        },
      },
      async (request, reply) => {
        const file = await fileOf(request);
        const attachment = await addAttachment(app, authOf(request), request.params.id, file);
        return reply.status(201).send(attachment);
      },
    );

  });

  r.delete(
    '/api/absences/:id/attachments/:attachmentId',
    {
      onRequest: student,
      schema: { tags, summary: 'Remove a file from your pending request', params: attachmentParams },
    },
    async (request, reply) => {
      await removeAttachment(app, authOf(request), request.params.id, request.params.attachmentId);
      return reply.status(204).send();
    },
  );

  r.get(
    '/api/absences/:id/attachments/:attachmentId',
    {
      onRequest: anyone,
      schema: {
        tags,
        summary: 'Download an attachment (the student, the course’s teachers, admins)',
        description: 'Served with its sniffed Content-Type, `Content-Disposition: attachment` and `X-Content-Type-Options: nosniff`.',
        params: attachmentParams,
      },
    },
    async (request, reply) => {
      const { attachment, stream, size } = await openAttachment(app, authOf(request), request.params.id, request.params.attachmentId);
      return reply
        .header('content-type', attachment.contentType)
        .header('content-length', size)
        .header('content-disposition', contentDisposition(attachment.name))
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store')
        .send(stream);
    },
  );

  r.post(
    '/api/absences/:id/decision',
    {
      onRequest: staff,
      schema: {
        tags,
        summary: 'Approve or deny a pending request with a response (or revise an approval to a denial with `revise: true`)',
        description: 'Approval excuses the covered absent records; a session not closed yet is excused when it closes. 409 `invalid_state` unless pending (approved, when revising).',
        params: idParams,
        body: absenceDecisionBody,
        response: { 200: absenceSchema },
      },
    },
    async (request) => decideAbsence(app, authOf(request), request.params.id, request.body),
  );

  r.post(
    '/api/absences/:id/withdraw',
    {
      onRequest: student,
      schema: { tags, summary: 'Withdraw your pending request', params: idParams, response: { 200: absenceSchema } },
    },
    async (request) => withdrawAbsence(app, authOf(request), request.params.id),
  );

  r.post(
    '/api/courses/:id/cancellations',
    {
      onRequest: staff,
      schema: {
        tags: ['sessions'],
        summary: 'Cancel several sessions at once (a teacher’s absence); each student gets one notification and one mail listing them',
        description: 'Sessions by id, or every scheduled or open session of the course in a date range (dates in TIMEZONE, both inclusive).',
        params: idParams,
        body: cancellationsBody,
        response: { 200: z.object({ items: z.array(sessionSchema) }) },
      },
    },
    async (request) => ({ items: await cancelCourseSessions(app, authOf(request), request.params.id, request.body) }),
  );
}

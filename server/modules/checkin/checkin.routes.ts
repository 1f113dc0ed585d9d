import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { checkinBody, checkinResponseSchema, linkCheckinBody, publicSessionSchema } from '../../../common/attendance.schemas.js';
import { idParams } from '../../../common/common.schemas.js';
import { randomToken } from '../../lib/ids.js';
import { claimedBy, requireUserLater } from '../../plugins/auth.plugin.js';
import { notFound } from '../../errors.js';
import { policyOf } from '../live-sessions/live-sessions.service.js';
import { checkInWithCode, checkInWithLink } from './checkin.service.js';

export const BROWSER_COOKIE = 'rb_bid';

/**
 * The long-lived random id of this browser (set on first check-in): two students from one browser
 * are flagged. `newBrowser` when this request minted it (no record can carry it yet).
 */
function browserIdOf(request: FastifyRequest, reply: FastifyReply): { browserId: string; newBrowser: boolean } {
  const existing = request.cookies[BROWSER_COOKIE];
  if (existing && /^[A-Za-z0-9_-]{16,64}$/.test(existing)) return { browserId: existing, newBrowser: false };
  const id = randomToken(18);
  reply.setCookie(BROWSER_COOKIE, id, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    maxAge: 5 * 365 * 86400,
    secure: request.server.config.PUBLIC_URL?.startsWith('https://') ?? false,
  });
  return { browserId: id, newBrowser: true };
}


export default async function checkinRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // The check-in reads the student's row anyway: their role and active flag are checked from it.
  const student = requireUserLater('student');

  r.post(
    '/api/checkin',
    {
      onRequest: student.hook,
      schema: {
        tags: ['check-in'],
        summary: 'Check in with the typed code or the QR token; the code alone finds the session',
        body: checkinBody,
        response: { 200: checkinResponseSchema, 201: checkinResponseSchema },
      },
    },
    async (request, reply) => {
      const result = await checkInWithCode(app, {
        studentId: claimedBy(request).userId,
        confirmAccess: (current) => void student.confirm(request, current),
        code: request.body.code,
        sessionId: request.body.sessionId,
        location: request.body.location,
        ip: request.ip,
        ...browserIdOf(request, reply),
      });
      if (result.alreadyCheckedIn) return reply.status(200).send(result);
      const { alreadyCheckedIn: _, ...created } = result;
      return reply.status(201).send(created);
    },
  );

  r.post(
    '/api/sessions/:id/checkin/link',
    {
      schema: {
        tags: ['check-in'],
        summary: 'Check in without an account: student number, name and the code (if the session allows `link`)',
        security: [],
        params: idParams,
        body: linkCheckinBody,
        response: { 200: checkinResponseSchema, 201: checkinResponseSchema },
      },
    },
    async (request, reply) => {
      const result = await checkInWithLink(app, {
        sessionId: request.params.id,
        ...request.body,
        ip: request.ip,
        ...browserIdOf(request, reply),
      });
      if (result.alreadyCheckedIn) return reply.status(200).send(result);
      const { alreadyCheckedIn: _, ...created } = result;
      return reply.status(201).send(created);
    },
  );

  r.get(
    '/api/sessions/:id/public',
    {
      schema: {
        tags: ['check-in'],
        summary: 'What the check-in page shows before anyone signs in: course, lecture, state, whether link check-in is allowed',
        security: [],
        params: idParams,
        response: { 200: publicSessionSchema },
      },
    },
    async (request) => {
      const row = await app.db
        .selectFrom('sessions')
        .innerJoin('courses', 'courses.id', 'sessions.course_id')
        .selectAll('sessions')
        .select(['courses.code as course_code', 'courses.name as course_name'])
        .where('sessions.id', '=', request.params.id)
        .executeTakeFirst();
      if (!row) throw notFound('Session');
      const policy = policyOf(row);
      return {
        id: row.id,
        courseCode: row.course_code,
        courseName: row.course_name,
        kind: row.kind,
        number: row.state === 'cancelled' ? null : row.number,
        title: row.title,
        startsAt: row.starts_at,
        endsAt: row.ends_at,
        venue: row.venue,
        state: row.state,
        linkCheckin: policy.methods.includes('link'),
        selfEnroll: policy.allowSelfEnroll,
        geofence: policy.geofence !== null,
      };
    },
  );
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { calendarUrlSchema, mySessionsQuery, mySessionsSchema } from '../../../common/calendar.schemas.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import { calendarFeed, calendarToken, listMySessions, resetCalendarToken } from './calendar.service.js';

export default async function calendarRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['me'];
  // The same secret the app signs tokens with.
  const secret = app.signingSecret;
  const urlOf = (token: string) => ({ url: `${app.publicUrl}/api/calendar/${token}.ics` });

  r.get(
    '/api/me/sessions',
    {
      onRequest: requireUser(),
      schema: {
        tags,
        summary: 'My sessions (students: enrolled courses, with their record; teachers: the courses they teach)',
        description: '`from`/`to` are dates (whole days in TIMEZONE, `to` inclusive) or date-times; default today + 30 days.',
        querystring: mySessionsQuery,
        response: { 200: mySessionsSchema },
      },
    },
    async (request) => ({ items: await listMySessions(app.db, authOf(request), request.query, app.config.TIMEZONE) }),
  );

  r.get(
    '/api/me/calendar-url',
    {
      onRequest: requireUser(),
      schema: { tags, summary: 'The address of my private iCalendar feed', response: { 200: calendarUrlSchema } },
    },
    async (request) => urlOf(await calendarToken(app.db, secret, authOf(request).userId)),
  );

  r.post(
    '/api/me/calendar-url/reset',
    {
      onRequest: requireUser(),
      schema: { tags, summary: 'Replace my feed address (the old one stops working)', response: { 200: calendarUrlSchema } },
    },
    async (request) => urlOf(await resetCalendarToken(app.db, secret, authOf(request).userId)),
  );

  r.get(
    '/api/calendar/:file',
    {
      schema: {
        tags: ['calendar'],
        summary: 'An iCalendar feed (the private address from /api/me/calendar-url)',
        params: z.object({ file: z.string().regex(/^[A-Za-z0-9_-]{20,100}\.ics$/, 'not a feed address') }),
        security: [],
      },
    },
    async (request, reply) => {
      const ics = await calendarFeed(app.db, request.params.file.slice(0, -'.ics'.length));
      return reply
        .type('text/calendar; charset=utf-8')
        .header('cache-control', 'private, max-age=300')
        .header('content-disposition', 'inline; filename="rollbook.ics"')
        .send(ics);
    },
  );
}

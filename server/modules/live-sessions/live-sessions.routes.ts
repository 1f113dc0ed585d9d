import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import QRCode from 'qrcode';
import { z } from 'zod';
import { codeResponseSchema, summarySchema } from '../../../common/attendance.schemas.js';
import { idParams } from '../../../common/common.schemas.js';
import { sessionPolicyPatch, sessionSchema } from '../../../common/session.schemas.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import { assertSessionStaff, closeSessionAsStaff, codeOf, openSession, reopenSession } from './live-sessions.service.js';

const staff = requireUser('teacher', 'admin');

export default async function liveSessionsRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/sessions/:id/open',
    {
      onRequest: staff,
      schema: {
        tags: ['running a session'],
        summary: 'Open the session for check-in (optionally with policy changes); on an open session, updates its policy',
        params: idParams,
        body: sessionPolicyPatch.extend({ policy: sessionPolicyPatch.optional() }).nullish(),
        response: { 200: sessionSchema },
      },
    },
    async (request) => {
      // The policy fields may come bare or wrapped in {policy}.
      const { policy, ...bare } = request.body ?? {};
      return openSession(app, authOf(request), request.params.id, { ...bare, ...policy });
    },
  );

  r.get(
    '/api/sessions/:id/code',
    {
      onRequest: staff,
      schema: {
        tags: ['running a session'],
        summary: 'The current typed code and the QR URL (its token rotates with the code)',
        params: idParams,
        response: { 200: codeResponseSchema },
      },
    },
    async (request, reply) => {
      const row = await assertSessionStaff(app.db, authOf(request), request.params.id);
      const c = codeOf(app, row);
      reply.header('cache-control', 'no-store');
      return { code: c.code, expiresAt: c.expiresAt.toISOString(), rotateSeconds: c.rotateSeconds, url: c.url };
    },
  );

  for (const format of ['svg', 'png'] as const) {
    r.get(
      `/api/sessions/:id/qr.${format}`,
      {
        onRequest: staff,
        schema: { tags: ['running a session'], summary: `The current QR as ${format.toUpperCase()}`, params: idParams },
      },
      async (request, reply) => {
        const row = await assertSessionStaff(app.db, authOf(request), request.params.id);
        const { url } = codeOf(app, row);
        reply.header('cache-control', 'no-store');
        if (format === 'svg') {
          return reply.type('image/svg+xml').send(await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }));
        }
        return reply.type('image/png').send(await QRCode.toBuffer(url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 800 }));
      },
    );
  }

  r.post(
    '/api/sessions/:id/close',
    {
      onRequest: staff,
      schema: {
        tags: ['running a session'],
        summary: 'Close the session: students without a record become absent',
        params: idParams,
        response: { 200: z.object({ session: sessionSchema, summary: summarySchema }) },
      },
    },
    async (request) => closeSessionAsStaff(app, authOf(request), request.params.id),
  );

  r.post(
    '/api/sessions/:id/reopen',
    {
      onRequest: staff,
      schema: {
        tags: ['running a session'],
        summary: 'Open a closed session again; the absences its close recorded stay until a check-in replaces them',
        description: '409 `invalid_state` unless the session is closed.',
        params: idParams,
        response: { 200: sessionSchema },
      },
    },
    async (request) => reopenSession(app, authOf(request), request.params.id),
  );
}

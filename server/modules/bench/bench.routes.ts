import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkinBody } from '../../../common/attendance.schemas.js';
import { unauthenticated } from '../../errors.js';
import { resolveAuth } from '../../plugins/auth.plugin.js';

/**
 * The baseline of `npm run bench` (registered only with BENCH_ROUTES=1): the same server stack as
 * every API route — HTTP parsing, helmet, cookies, zod validation of the body, JWT verification,
 * zod serialisation of the reply — but no database, no Redis, no event bus. "Bare" means the
 * access token is verified and nothing else: unlike `requireUser`, the user's row is not read.
 */
export default async function benchRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tokenOnly = async (request: FastifyRequest) => {
    const claimed = resolveAuth(request);
    if (!claimed) throw unauthenticated();
    request.auth = claimed;
  };
  const reply = z.object({ ok: z.literal(true), userId: z.string(), role: z.string(), at: z.string() });
  const pong = (request: FastifyRequest) => ({ ok: true as const, userId: request.auth!.userId, role: request.auth!.role, at: new Date().toISOString() });

  r.get('/api/bench/ping', { onRequest: tokenOnly, schema: { hide: true, response: { 200: reply } } }, async (request) => pong(request));
  // Same body schema as POST /api/checkin, so the baseline parses and validates what a check-in does.
  r.post('/api/bench/ping', { onRequest: tokenOnly, schema: { hide: true, body: checkinBody, response: { 200: reply } } }, async (request) =>
    pong(request),
  );
}

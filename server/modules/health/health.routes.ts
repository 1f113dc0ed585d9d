import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { statusSchema } from '../../../common/user.schemas.js';
import { version } from '../../lib/package-info.js';
import { outboxStatus } from '../webhooks/webhooks.service.js';

/** Each dependency gets this long to answer; they are asked in parallel, so /api/status stays under 2 s. */
const PROBE_MS = 1500;

/** `probe`'s answer, or `fallback` when it fails or takes longer than PROBE_MS (a hung dependency is down). */
function withDeadline<T>(probe: () => Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), PROBE_MS);
  });
  const answer = probe().catch(() => fallback);
  return Promise.race([answer, late]).finally(() => clearTimeout(timer));
}

export default async function healthRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/health',
    { schema: { tags: ['health'], summary: 'Liveness', response: { 200: z.object({ ok: z.literal(true) }) } } },
    async () => ({ ok: true as const }),
  );

  r.get(
    '/api/status',
    { schema: { tags: ['health'], summary: 'Database, Redis, mail and webhook outbox status, version', response: { 200: statusSchema } } },
    async () => {
      const redisClient = app.redis;
      const mailer = app.mailer;
      const [database, redis, mail, outbox] = await Promise.all([
        withDeadline(() => sql`select 1 as one`.execute(app.db).then(() => 'ok' as const), 'down' as const),
        !redisClient
          ? ('off' as const)
          : redisClient.status !== 'ready'
            ? ('down' as const)
            : withDeadline(() => redisClient.ping().then(() => 'ok' as const), 'down' as const),
        mailer ? withDeadline(() => mailer.status(), 'down' as const) : ('off' as const),
        // The outbox figures need the database too: a hung one must not hold the answer.
        withDeadline(() => outboxStatus(app.db), null),
      ]);
      return {
        version,
        uptimeSeconds: Math.round(process.uptime()),
        database,
        redis,
        mail,
        dialect: app.config.dialect,
        publicUrl: app.publicUrl,
        signup: app.config.SIGNUP,
        timezone: app.config.TIMEZONE,
        outbox,
      };
    },
  );
}

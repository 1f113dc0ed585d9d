import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { statusSchema } from '../../../common/user.schemas.js';
import { version } from '../../lib/package-info.js';
import { outboxStatus } from '../webhooks/webhooks.service.js';


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
      const [database, outbox] = await Promise.all([
        sql`select 1 as one`
          .execute(app.db)
          .then(() => 'ok' as const)
          .catch(() => 'down' as const),
        outboxStatus(app.db).catch(() => null),
      ]);
      const redis = !app.redis ? ('off' as const) : app.redis.status === 'ready' ? ('ok' as const) : ('down' as const);
      return {
        version,
        uptimeSeconds: Math.round(process.uptime()),
        database,
        redis,
        mail: app.mailer ? await app.mailer.status() : ('off' as const),
        dialect: app.config.dialect,
        publicUrl: app.publicUrl,
        signup: app.config.SIGNUP,
        timezone: app.config.TIMEZONE,
        outbox,
      };
    },
  );
}

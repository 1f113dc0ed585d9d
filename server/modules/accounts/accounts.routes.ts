import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RESET_TTL_MINUTES, accountLinkSchema, forgotBody, resetBody } from '../../../common/account.schemas.js';
import { idParams } from '../../../common/common.schemas.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import { forgotPassword, inviteUser, resetPassword, type AccountDeps } from './accounts.service.js';

/** Reset mails one account may receive per hour. */
const RESETS_PER_HOUR = 3;

const depsByApp = new WeakMap<FastifyInstance, AccountDeps>();

/** The accounts service's dependencies (one forgot-password budget per app). */
export function accountDeps(app: FastifyInstance): AccountDeps {
  let deps = depsByApp.get(app);
  if (!deps) {
    deps = {
      db: app.db,
      mailer: app.mailer,
      publicUrl: app.publicUrl,
      log: app.log,
      forgotBudget: app.limits.budget({ name: 'forgot', points: RESETS_PER_HOUR, durationSeconds: RESET_TTL_MINUTES * 60 }),
    };
    depsByApp.set(app, deps);
  }
  return deps;
}

export default async function accountsRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/users/:id/invite',
    {
      onRequest: requireUser('admin'),
      schema: {
        tags: ['users'],
        summary: 'A single-use link for the user to choose a password (7 days); mailed when they have an e-mail',
        params: idParams,
        response: { 200: accountLinkSchema },
      },
    },
    async (request) => inviteUser(accountDeps(app), authOf(request).userId, request.params.id),
  );

  r.post(
    '/api/auth/forgot',
    {
      schema: {
        tags: ['auth'],
        summary: 'Mail a password reset link (1 hour) to the account, if it exists and has an e-mail',
        description: 'Always 202, whether or not the account exists.',
        body: forgotBody,
        response: { 202: z.null() },
      },
    },
    async (request, reply) => {
      // After the answer: its timing must not tell whether the account exists.
      const work = forgotPassword(accountDeps(app), request.body.username).catch((err: unknown) =>
        request.log.error({ err }, 'password reset request failed'),
      );
      void work;
      return reply.status(202).send(null);
    },
  );

  r.post(
    '/api/auth/reset',
    {
      schema: {
        tags: ['auth'],
        summary: 'Choose a password with an invitation or reset link; signs out every device',
        body: resetBody,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await resetPassword(accountDeps(app), request.body.token, request.body.newPassword);
      return reply.status(204).send(null);
    },
  );
}

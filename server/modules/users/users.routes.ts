import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idParams, pageOf } from '../../../common/common.schemas.js';
import { LIMITS } from '../../../common/limits.js';
import { createUserBody, importResultSchema, listUsersQuery, updateUserBody, userSchema } from '../../../common/user.schemas.js';
import { createdUserSchema } from '../../../common/account.schemas.js';
import { forbidden } from '../../errors.js';
import { announceAccessChange } from '../../realtime/access-changes.js';
import { accountDeps } from '../accounts/accounts.routes.js';
import { inviteUser } from '../accounts/accounts.service.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import { createUser, deactivateUser, getUser, importUsersCsv, listUsersPage, updateUser } from './users.service.js';

export default async function usersRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  // CSV arrives as text/csv; keep it a string and let the service parse it.
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: LIMITS.csvMaxBytes }, (_req, body, done) =>
    done(null, body),
  );

  r.get(
    '/api/users',
    {
      onRequest: requireUser('admin', 'teacher'),
      schema: {
        tags: ['users'],
        summary: 'List users (teachers may list students only)',
        querystring: listUsersQuery,
        response: { 200: pageOf(userSchema) },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const q = request.query;
      if (auth.role === 'teacher') {
        if (q.role && q.role !== 'student') throw forbidden('Teachers may list students only.');
        return listUsersPage(app.db, { ...q, role: 'student', active: 'true' });
      }
      return listUsersPage(app.db, q);
    },
  );

  r.post(
    '/api/users',
    {
      onRequest: requireUser('admin'),
      schema: {
        tags: ['users'],
        summary: 'Create a user',
        description: 'Without a password the answer carries `invitation`: the link for the user to choose one.',
        body: createUserBody,
        response: { 201: createdUserSchema },
      },
    },
    async (request, reply) => {
      const actorId = authOf(request).userId;
      const user = await createUser(app.db, actorId, request.body);
      if (request.body.password) return reply.status(201).send(user);
      // No password: nobody could ever sign in, so the admin gets the invitation to hand over.
      return reply.status(201).send({ ...user, invitation: await inviteUser(accountDeps(app), actorId, user.id) });
    },
  );

  r.post(
    '/api/users/import',
    {
      onRequest: requireUser('admin'),
      bodyLimit: LIMITS.csvMaxBytes,
      schema: {
        tags: ['users'],
        summary: 'Import users from CSV (header: role,username,name,email,studentNumber,staffNumber,section,password)',
        description:
          'Send the file as `text/csv`. With any invalid line nothing is written and every bad line is reported, unless `partial=true`.',
        querystring: z.object({ partial: z.enum(['true', 'false']).default('false') }),
        body: z.string().max(LIMITS.csvMaxBytes),
        response: { 200: importResultSchema },
      },
    },
    async (request) => importUsersCsv(app.db, authOf(request).userId, request.body, request.query.partial === 'true'),
  );

  r.get(
    '/api/users/:id',
    { onRequest: requireUser('admin'), schema: { tags: ['users'], params: idParams, response: { 200: userSchema } } },
    async (request) => getUser(app.db, request.params.id),
  );

  r.patch(
    '/api/users/:id',
    {
      onRequest: requireUser('admin'),
      schema: { tags: ['users'], params: idParams, body: updateUserBody, response: { 200: userSchema } },
    },
    async (request) => {
      const user = await updateUser(app.db, authOf(request).userId, request.params.id, request.body);
      // A new role or a deactivation applies to open sockets too, on every node.
      announceAccessChange(app, { userIds: [user.id], reason: user.active ? 'account_changed' : 'deactivated' });
      return user;
    },
  );

  r.delete(
    '/api/users/:id',
    {
      onRequest: requireUser('admin'),
      schema: { tags: ['users'], summary: 'Deactivate a user (history is kept)', params: idParams },
    },
    async (request, reply) => {
      await deactivateUser(app.db, authOf(request).userId, request.params.id);
      announceAccessChange(app, { userIds: [request.params.id], reason: 'deactivated' });
      return reply.status(204).send();
    },
  );
}

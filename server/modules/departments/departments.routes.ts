import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { idParams, pageOf } from '../../../common/common.schemas.js';
import {
  createDepartmentBody,
  departmentSchema,
  listDepartmentsQuery,
  updateDepartmentBody,
} from '../../../common/structure.schemas.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import {
  createDepartment,
  deleteDepartment,
  getDepartment,
  listDepartmentsPage,
  updateDepartment,
} from './departments.service.js';

export default async function departmentsRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['structure'];

  r.get(
    '/api/departments',
    {
      onRequest: requireUser('admin', 'teacher'),
      schema: { tags, summary: 'List departments', querystring: listDepartmentsQuery, response: { 200: pageOf(departmentSchema) } },
    },
    async (request) => listDepartmentsPage(app.db, request.query),
  );

  r.post(
    '/api/departments',
    {
      onRequest: requireUser('admin'),
      schema: { tags, summary: 'Create a department', body: createDepartmentBody, response: { 201: departmentSchema } },
    },
    async (request, reply) => reply.status(201).send(await createDepartment(app.db, authOf(request).userId, request.body)),
  );

  r.get(
    '/api/departments/:id',
    { onRequest: requireUser('admin', 'teacher'), schema: { tags, params: idParams, response: { 200: departmentSchema } } },
    async (request) => getDepartment(app.db, request.params.id),
  );

  r.patch(
    '/api/departments/:id',
    {
      onRequest: requireUser('admin'),
      schema: { tags, params: idParams, body: updateDepartmentBody, response: { 200: departmentSchema } },
    },
    async (request) => updateDepartment(app.db, authOf(request).userId, request.params.id, request.body),
  );

  r.delete(
    '/api/departments/:id',
    {
      onRequest: requireUser('admin'),
      schema: { tags, summary: 'Delete a department that has no sections or courses (else 409)', params: idParams },
    },
    async (request, reply) => {
      await deleteDepartment(app.db, authOf(request).userId, request.params.id);
      return reply.status(204).send();
    },
  );
}

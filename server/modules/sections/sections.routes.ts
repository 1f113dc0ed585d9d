import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { idParams, pageOf } from '../../../common/common.schemas.js';
import { createSectionBody, listSectionsQuery, sectionSchema, updateSectionBody } from '../../../common/structure.schemas.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import { createSection, deleteSection, getSection, listSectionsPage, updateSection } from './sections.service.js';

export default async function sectionsRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['structure'];

  r.get(
    '/api/sections',
    {
      onRequest: requireUser('admin', 'teacher'),
      schema: { tags, summary: 'List sections', querystring: listSectionsQuery, response: { 200: pageOf(sectionSchema) } },
    },
    async (request) => listSectionsPage(app.db, request.query),
  );

  r.post(
    '/api/sections',
    {
      onRequest: requireUser('admin'),
      schema: { tags, summary: 'Create a section', body: createSectionBody, response: { 201: sectionSchema } },
    },
    async (request, reply) => reply.status(201).send(await createSection(app.db, authOf(request).userId, request.body)),
  );

  r.get(
    '/api/sections/:id',
    { onRequest: requireUser('admin', 'teacher'), schema: { tags, params: idParams, response: { 200: sectionSchema } } },
    async (request) => getSection(app.db, request.params.id),
  );

  r.patch(
    '/api/sections/:id',
    {
      onRequest: requireUser('admin'),
      schema: { tags, params: idParams, body: updateSectionBody, response: { 200: sectionSchema } },
    },
    async (request) => updateSection(app.db, authOf(request).userId, request.params.id, request.body),
  );

  r.delete(
    '/api/sections/:id',
    {
      onRequest: requireUser('admin'),
      schema: { tags, summary: 'Delete a section nobody belongs to (else 409)', params: idParams },
    },
    async (request, reply) => {
      await deleteSection(app.db, authOf(request).userId, request.params.id);
      return reply.status(204).send();
    },
  );
}

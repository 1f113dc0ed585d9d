import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idParams, pageOf } from '../../../common/common.schemas.js';
import { courseSchema, createCourseBody, listCoursesQuery, updateCourseBody } from '../../../common/course.schemas.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import { announceAccessChange } from '../../realtime/access-changes.js';
import { createCourse, deleteCourse, getCourse, listCoursesPage, listMyCourses, updateCourse } from './courses.service.js';

export default async function coursesRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['courses'];

  r.get(
    '/api/courses',
    {
      onRequest: requireUser(),
      schema: {
        tags,
        summary: 'List the courses the caller may see (admin all, teacher theirs, student enrolled)',
        querystring: listCoursesQuery,
        response: { 200: pageOf(courseSchema) },
      },
    },
    async (request) => listCoursesPage(app.db, authOf(request), request.query),
  );

  r.post(
    '/api/courses',
    {
      onRequest: requireUser('admin', 'teacher'),
      schema: {
        tags,
        summary: 'Create a course (a teacher becomes one of its teachers)',
        body: createCourseBody,
        response: { 201: courseSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await createCourse(app.db, authOf(request), request.body)),
  );

  r.get(
    '/api/courses/:id',
    { onRequest: requireUser(), schema: { tags, params: idParams, response: { 200: courseSchema } } },
    async (request) => getCourse(app.db, authOf(request), request.params.id),
  );

  r.patch(
    '/api/courses/:id',
    {
      onRequest: requireUser('admin', 'teacher'),
      schema: { tags, summary: 'Edit a course (admin, or its teacher)', params: idParams, body: updateCourseBody, response: { 200: courseSchema } },
    },
    async (request) => {
      const course = await updateCourse(app.db, authOf(request), request.params.id, request.body);
      // A teacher taken off the course stops seeing its sessions' live topics, on every node.
      if (request.body.teacherIds) announceAccessChange(app, { courseId: course.id, reason: 'course_changed' });
      // A new threshold or rule set changes who is at risk now, not only at the next record change.
      if (request.body.thresholdPercent !== undefined || request.body.warnings !== undefined) app.warningEvaluator.courseChanged(course.id);
      return course;
    },
  );

  r.delete(
    '/api/courses/:id',
    {
      onRequest: requireUser('admin'),
      schema: {
        tags,
        summary: 'Delete a course with no held or cancelled sessions (else 409)',
        params: idParams,
      },
    },
    async (request, reply) => {
      await deleteCourse(app.db, authOf(request), request.params.id);
      announceAccessChange(app, { courseId: request.params.id, reason: 'course_changed' });
      return reply.status(204).send();
    },
  );

  r.get(
    '/api/me/courses',
    {
      onRequest: requireUser(),
      schema: {
        tags: ['me'],
        summary: 'The courses the caller takes (students) or teaches (teachers)',
        response: { 200: z.object({ items: z.array(courseSchema) }) },
      },
    },
    async (request) => ({ items: await listMyCourses(app.db, authOf(request)) }),
  );
}

import { z } from 'zod';
import { recordSchema } from './attendance.schemas.js';
import { rangeBound, sessionWithCourseSchema } from './session.schemas.js';

export const mySessionsQuery = z.object({ from: rangeBound.optional(), to: rangeBound.optional() });

/** A calendar entry: the session, its course, and (students) their attendance record or null. */
export const mySessionSchema = sessionWithCourseSchema.extend({
  record: recordSchema.nullable(),
});
export type MySession = z.infer<typeof mySessionSchema>;

export const mySessionsSchema = z.object({ items: z.array(mySessionSchema) });

export const calendarUrlSchema = z.object({ url: z.string() });

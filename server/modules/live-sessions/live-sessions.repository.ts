import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';

type Db = Kysely<Database>;

/** Sessions still open past their end plus grace: the auto-close job's work list. */
export function overdueOpenSessions(db: Db, endedBeforeIso: string): Promise<{ id: string }[]> {
  return db
    .selectFrom('sessions')
    .select('id')
    .where('state', '=', 'open')
    .where('ends_at', '<', endedBeforeIso)
    .limit(100)
    .execute();
}

/** Enrolled students of the course without a record in the session. */
export function unmarkedStudents(db: Db, sessionId: string, courseId: string): Promise<{ student_id: string }[]> {
  return db
    .selectFrom('enrollments')
    .select('enrollments.student_id')
    .where('enrollments.course_id', '=', courseId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('attendance_records')
            .select('attendance_records.id')
            .where('attendance_records.session_id', '=', sessionId)
            .whereRef('attendance_records.student_id', '=', 'enrollments.student_id'),
        ),
      ),
    )
    .execute();
}

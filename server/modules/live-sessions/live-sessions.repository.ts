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

/** scheduled → open with its code secret and policy; undefined if it is no longer scheduled. */
export function openScheduledSession(db: Db, id: string, v: { openedAt: string; codeSecret: string; policy: string }) {
  return db
    .updateTable('sessions')
    .set({ state: 'open', opened_at: v.openedAt, code_secret: v.codeSecret, policy: v.policy, updated_at: v.openedAt })
    .where('id', '=', id)
    .where('state', '=', 'scheduled')
    .returningAll()
    .executeTakeFirst();
}

/** A new policy for an open session; undefined if it is no longer open. */
export function updateOpenSessionPolicy(db: Db, id: string, v: { policy: string; updatedAt: string }) {
  return db
    .updateTable('sessions')
    .set({ policy: v.policy, updated_at: v.updatedAt })
    .where('id', '=', id)
    .where('state', '=', 'open')
    .returningAll()
    .executeTakeFirst();
}

/** open → closed, as an atomic claim: of two nodes (or a teacher and the job) only one gets the row. */
export function closeOpenSession(db: Db, id: string, at: string) {
  return db
    .updateTable('sessions')
    .set({ state: 'closed', closed_at: at, updated_at: at })
    .where('id', '=', id)
    .where('state', '=', 'open')
    .returningAll()
    .executeTakeFirst();
}

import type { Kysely } from 'kysely';
import type { Database, SessionKind } from '../../db/database.js';

type Db = Kysely<Database>;

export interface CodeSessionRow {
  id: string;
  course_id: string;
  kind: SessionKind;
  number: number | null;
  title: string | null;
  state: string;
  starts_at: string;
  opened_at: string | null;
  closed_at: string | null;
  code_secret: string | null;
  policy: string;
  course_code: string;
  course_name: string;
}

/**
 * The rows the open-session cache is built from. `changedSinceIso` null: every open session and those
 * closed since `recentSinceIso` (a full read). Otherwise every session whose `updated_at` is at or
 * after it, whatever its state (the cache drops those no longer open): an index range scan.
 */
export function codeSessionRows(db: Db, recentSinceIso: string, changedSinceIso: string | null): Promise<CodeSessionRow[]> {
  return codeSessionRowsQuery(db, recentSinceIso, changedSinceIso).execute();
}

/**
 * codeSessionRows' query. The full read finds the recently closed sessions by state and closing time
 * (migration 0015), not by walking every closed session of the school. Exported for the test that
 * examines its plan.
 */
export function codeSessionRowsQuery(db: Db, recentSinceIso: string, changedSinceIso: string | null) {
  const q = db
    .selectFrom('sessions')
    .innerJoin('courses', 'courses.id', 'sessions.course_id')
    .select([
      'sessions.id',
      'sessions.course_id',
      'sessions.number',
      'sessions.kind',
      'sessions.title',
      'sessions.state',
      'sessions.starts_at',
      'sessions.opened_at',
      'sessions.closed_at',
      'sessions.code_secret',
      'sessions.policy',
      'courses.code as course_code',
      'courses.name as course_name',
    ]);
  if (changedSinceIso !== null) return q.where('sessions.updated_at', '>=', changedSinceIso);
  // Two parts rather than one OR: each planner then finds the recently closed ones by both columns.
  return q.where('sessions.state', '=', 'open').unionAll(q.where('sessions.state', '=', 'closed').where('sessions.closed_at', '>=', recentSinceIso));
}

import { createHash, createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AttendanceRecord } from '../../../common/attendance.schemas.js';
import type { MySession } from '../../../common/calendar.schemas.js';
import { recordsOfStudent } from '../attendance/records.repository.js';
import { toRecord } from '../attendance/records.service.js';
import { LIMITS } from '../../../common/limits.js';
import type { Database } from '../../db/database.js';
import { notFound, validationFailed } from '../../errors.js';
import { buildIcs } from '../../lib/ics.js';
import { nowIso, randomToken } from '../../lib/ids.js';
import { addDays, localDateOf } from '../../lib/timezone.js';
import type { Actor } from '../courses/courses.service.js';
import { listSessions, type SessionFilter, type SessionWithCourseRow } from '../sessions/sessions.repository.js';
import { resolveRange, toSessionWithCourse } from '../sessions/sessions.service.js';
import { sessionLabel } from '../../../common/session.schemas.js';
import {
  findCalendarToken,
  findUserByCalendarTokenHash,
  setCalendarTokenHash,
  upsertCalendarToken,
} from './calendar.repository.js';

type Db = Kysely<Database>;

const MAX_ITEMS = 5000;
const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
const tokenOf = (secret: string, userId: string, salt: string) =>
  createHmac('sha256', secret).update(`calendar:${userId}:${salt}`).digest('base64url');

/** The sessions in a person's calendar: a student's enrolled courses, anyone else's taught courses. */
function mine(actor: Actor): Pick<SessionFilter, 'studentId' | 'teacherId'> {
  return actor.role === 'student' ? { studentId: actor.userId } : { teacherId: actor.userId };
}

/**
 * The caller's sessions whose start falls in from…to (dates are whole days in `timeZone`, `to`
 * inclusive), by default from today for 30 days, with a student's own record (null when none yet).
 */
export async function listMySessions(
  db: Db,
  actor: Actor,
  query: { from?: string; to?: string },
  timeZone: string,
): Promise<MySession[]> {
  const from = query.from ?? localDateOf(new Date(), timeZone);
  const fromDate = /^\d{4}-\d{2}-\d{2}$/.test(from) ? from : localDateOf(new Date(from), timeZone);
  const range = resolveRange(from, query.to ?? addDays(fromDate, 30), timeZone);
  if (range.from && range.to && Date.parse(range.to) - Date.parse(range.from) > LIMITS.calendarRangeDaysMax * 86_400_000) {
    throw validationFailed(`The range is longer than ${LIMITS.calendarRangeDaysMax} days.`, [{ path: 'to', message: 'too far from from' }]);
  }
  const { rows } = await listSessions(db, { ...mine(actor), ...range, limit: MAX_ITEMS });
  const records = new Map<string, AttendanceRecord>();
  if (actor.role === 'student' && rows.length > 0) {
    const ids = rows.map((r) => r.id);
    for (let i = 0; i < ids.length; i += 500) {
      for (const rec of await recordsOfStudent(db, actor.userId, ids.slice(i, i + 500))) records.set(rec.session_id, toRecord(rec));
    }
  }
  return rows.map((row) => ({ ...toSessionWithCourse(row), record: records.get(row.id) ?? null }));
}

/** The user's private feed token; created on first use, the same on every later call. */
export async function calendarToken(db: Db, secret: string, userId: string): Promise<string> {
  const row = await findCalendarToken(db, userId);
  if (!row) return resetCalendarToken(db, secret, userId);
  const token = tokenOf(secret, userId, row.salt);
  // A changed server secret changes the token: keep the stored hash in step with what is shown.
  if (sha256(token) !== row.token_hash) await setCalendarTokenHash(db, userId, sha256(token));
  return token;
}

/** Replaces the user's feed token: the old URL stops working. */
export async function resetCalendarToken(db: Db, secret: string, userId: string): Promise<string> {
  const salt = randomToken(16);
  const token = tokenOf(secret, userId, salt);
  await upsertCalendarToken(db, { user_id: userId, salt, token_hash: sha256(token), created_at: nowIso() });
  return token;
}

function summaryOf(row: SessionWithCourseRow): string {
  return `${row.course_code} ${sessionLabel(row.kind, row.state === 'cancelled' ? null : row.number)}: ${row.title ?? row.course_name}`;
}

/** The iCalendar feed behind a token: the owner's sessions from a year ago on. 404 for an unknown token. */
export async function calendarFeed(db: Db, token: string): Promise<string> {
  const user = await findUserByCalendarTokenHash(db, sha256(token));
  if (!user) throw notFound('Calendar');
  const from = new Date(Date.now() - 366 * 86_400_000).toISOString();
  const { rows } = await listSessions(db, { ...mine({ userId: user.id, role: user.role }), from, limit: MAX_ITEMS });
  return buildIcs({
    name: `Rollbook: ${user.name}`,
    events: rows.map((row) => {
      const created = new Date(row.created_at);
      const updated = new Date(row.updated_at);
      return {
        uid: `${row.id}@rollbook`,
        start: new Date(row.starts_at),
        end: new Date(row.ends_at),
        summary: summaryOf(row),
        location: row.venue,
        description: row.state === 'cancelled' ? `Cancelled${row.cancelled_reason ? `: ${row.cancelled_reason}` : ''}` : row.course_name,
        status: row.state === 'cancelled' ? 'CANCELLED' : 'CONFIRMED',
        sequence: row.version - 1,
        created,
        lastModified: updated,
      };
    }),
  });
}

import { WARNING_KIND_LABEL } from '../../../common/warning.schemas.js';
import { nowIso } from '../../lib/ids.js';
import { addDays, isoWeekday, localDateOf } from '../../lib/timezone.js';
import type { WarningDeps } from './warnings.service.js';
import { claimDigestWeek, openWarningsByTeacher } from './warnings.repository.js';

const CLAIM_KEY = 'warnings_digest_week';
/** The digest goes out from Monday at this local hour (the first job run after it). */
const SEND_FROM_HOUR = 7;

/** The Monday (local date in `timeZone`) of the week `now` falls in. */
export function weekOf(now: Date, timeZone: string): string {
  const date = localDateOf(now, timeZone);
  return addDays(date, 1 - isoWeekday(date));
}

function localHour(now: Date, timeZone: string): number {
  return Number(new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hourCycle: 'h23', timeZone }).format(now));
}

/**
 * The weekly digest: each teacher gets one mail listing the open warnings of their courses. The week
 * is claimed in the database first (a conditional update of one settings row), so however many nodes
 * run the job, one sends it. Returns how many teachers were mailed, or null when not due / claimed elsewhere.
 */
export async function sendWarningsDigest(deps: WarningDeps, now = new Date()): Promise<{ week: string; mailed: number } | null> {
  if (!deps.mailer) return null;
  const week = weekOf(now, deps.timeZone);
  if (localDateOf(now, deps.timeZone) === week && localHour(now, deps.timeZone) < SEND_FROM_HOUR) return null;
  if (!(await claimDigestWeek(deps.db, CLAIM_KEY, week, nowIso()))) return null;

  const rows = await openWarningsByTeacher(deps.db);
  const byTeacher = new Map<string, typeof rows>();
  for (const r of rows) {
    if (!r.teacher_email) continue;
    let list = byTeacher.get(r.teacher_id);
    if (!list) byTeacher.set(r.teacher_id, (list = []));
    list.push(r);
  }
  let mailed = 0;
  for (const list of byTeacher.values()) {
    const students = new Set(list.map((r) => `${r.course_code}:${r.student_name}`)).size;
    const lines: string[] = [];
    let course = '';
    for (const r of list) {
      if (r.course_code !== course) {
        course = r.course_code;
        lines.push('', `${r.course_code} ${r.course_name}`);
      }
      lines.push(`- ${r.student_name}${r.student_number ? ` (${r.student_number})` : ''}: ${WARNING_KIND_LABEL[r.kind]}. ${r.detail}.`);
    }
    try {
      await deps.mailer.send({
        to: list[0].teacher_email!,
        subject: `Rollbook: ${students} ${students === 1 ? 'student' : 'students'} at risk this week`,
        text: `Hello ${list[0].teacher_name},\n\nStudents of your courses with open attendance warnings (week of ${week}):\n${lines.join('\n')}\n\n${deps.publicUrl}/\n`,
      });
      mailed++;
    } catch (err) {
      deps.log.warn({ err: (err as Error)?.message }, 'could not mail a warnings digest');
    }
  }
  return { week, mailed };
}

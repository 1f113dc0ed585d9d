import type { WarningRules } from '../../../common/course.schemas.js';
import type { WarningKind } from '../../../common/warning.schemas.js';

export type HeldStatus = 'present' | 'late' | 'absent' | 'excused';

/** What the rules look at for one student in one course. */
export interface StudentStanding {
  /** The student's records in the course's held (closed) sessions, oldest first. */
  held: { startsAt: string; status: HeldStatus }[];
  /** Sessions of the course not held yet and not cancelled (scheduled or open). */
  remaining: number;
}

export interface RuleContext {
  thresholdPercent: number;
  rules: WarningRules;
  timeZone: string;
}

/** One decimal, as every percentage in Rollbook (reports, the student's page). */
const oneDecimal = (x: number) => Math.round(x * 10) / 10;
const pct = (x: number) => `${oneDecimal(x)} %`;

/** "12, 14 and 19 Nov" / "28 and 30 Oct, 2 Nov": days grouped by month, in the institution's time zone. */
export function formatDays(isoTimes: string[], timeZone: string): string {
  const parts = isoTimes.map((t) => {
    const f = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone }).formatToParts(new Date(t));
    const get = (type: string) => f.find((p) => p.type === type)?.value ?? '';
    return { day: get('day'), month: `${get('month')}`, year: get('year') };
  });
  const groups: { month: string; days: string[] }[] = [];
  for (const p of parts) {
    const key = p.month;
    const last = groups[groups.length - 1];
    if (last && last.month === key) last.days.push(p.day);
    else groups.push({ month: key, days: [p.day] });
  }
  const list = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
  if (groups.length === 1) return `${list(groups[0].days)} ${groups[0].month}`;
  return groups.map((g) => `${list(g.days)} ${g.month}`).join(', ');
}

/**
 * The warnings a student's standing calls for, each with the words that explain it. Pure: the
 * service feeds it the records and opens, updates or resolves warnings to match.
 *
 * - below_threshold: the report's percentage (one decimal) is under the threshold; exactly at it is fine.
 * - consecutive_absences: the latest held sessions end in N or more absences. Excused sessions are
 *   neither absences nor attendance: they do not break the run and are not counted in it. Cancelled
 *   sessions were never held, so they are not there at all. Attending (present or late) ends the run.
 * - cannot_reach_threshold: even attending every remaining session the final percentage stays under
 *   the threshold.
 */
export function warningsFor(s: StudentStanding, ctx: RuleContext): Map<WarningKind, string> {
  const out = new Map<WarningKind, string>();
  let attended = 0;
  let counted = 0;
  for (const r of s.held) {
    if (r.status === 'excused') continue;
    counted++;
    if (r.status === 'present' || r.status === 'late') attended++;
  }
  const threshold = ctx.thresholdPercent;
  if (ctx.rules.belowThreshold && counted > 0) {
    const p = oneDecimal((attended / counted) * 100);
    if (p < threshold) {
      out.set('below_threshold', `Attendance is ${pct(p)} (${attended} of ${counted} sessions), below the ${threshold} % threshold`);
    }
  }
  const n = ctx.rules.consecutiveAbsences;
  if (n > 0) {
    const run: string[] = [];
    for (let i = s.held.length - 1; i >= 0; i--) {
      const st = s.held[i].status;
      if (st === 'excused') continue;
      if (st !== 'absent') break;
      run.unshift(s.held[i].startsAt);
    }
    if (run.length >= n) out.set('consecutive_absences', `${run.length} absences in a row: ${formatDays(run, ctx.timeZone)}`);
  }
  if (ctx.rules.cannotReach && counted > 0) {
    const best = oneDecimal(((attended + s.remaining) / (counted + s.remaining)) * 100);
    if (best < threshold) {
      out.set(
        'cannot_reach_threshold',
        s.remaining > 0
          ? `Even attending ${s.remaining === 1 ? 'the 1 remaining session' : `all ${s.remaining} remaining sessions`} you would reach ${pct(best)}, below ${threshold} %`
          : `No sessions remain: attendance ends at ${pct(best)}, below ${threshold} %`,
      );
    }
  }
  return out;
}

/**
 * Reading attendance figures the way the server computes them (server/modules/reports): a
 * percentage counts held sessions only, excused ones leave the denominator, attended = present +
 * late, and "below threshold" compares the percentage rounded to one decimal.
 */

/** How close above the threshold still counts as "at risk" (orange rather than green). */
export const AT_RISK_MARGIN = 5;

export type AttendanceTone = 'none' | 'ok' | 'risk' | 'below';

const TONE_COLOR: Record<AttendanceTone, string> = { none: 'gray', ok: 'teal', risk: 'orange', below: 'red' };

/** Where a percentage stands against the course's threshold. */
export function attendanceTone(percentage: number | null, thresholdPercent: number): AttendanceTone {
  if (percentage === null) return 'none';
  if (percentage < thresholdPercent) return 'below';
  return percentage < thresholdPercent + AT_RISK_MARGIN && percentage < 100 ? 'risk' : 'ok';
}

/** The Mantine colour of a percentage: green clear of the threshold, orange just above it, red below. */
export function attendanceColor(percentage: number | null, thresholdPercent: number): string {
  return TONE_COLOR[attendanceTone(percentage, thresholdPercent)];
}

/** "82.5%", or "—" before any session was held. */
export function formatPercent(percentage: number | null): string {
  return percentage === null ? '—' : `${percentage}%`;
}

/** The server's rule: attended / counted × 100, rounded to one decimal. */
function roundedPercentage(attended: number, counted: number): number {
  return Math.round((attended / counted) * 1000) / 10;
}

/**
 * How many more sessions the student must attend in a row (with no absences in between) for the
 * percentage to reach the threshold again; 0 when not below it, null when it can never be reached
 * (a 100% threshold after a missed session).
 *
 * Attending n more sessions makes the figure (attended + n) / (counted + n), where counted = held −
 * excused. Solving (attended + n) / (counted + n) ≥ t / 100 gives
 * n ≥ (t·counted − 100·attended) / (100 − t), so the ceiling of that is enough. The server rounds
 * the percentage to one decimal before comparing, which can make one session fewer enough (74.96
 * shows as 75.0), so the answer is checked downwards with the server's own rule.
 */
export function sessionsToRecover(stats: { attended: number; total: number; excused: number }, thresholdPercent: number): number | null {
  const counted = stats.total - stats.excused;
  const below = (n: number) => counted + n > 0 && roundedPercentage(stats.attended + n, counted + n) < thresholdPercent;
  if (!below(0)) return 0;
  if (thresholdPercent >= 100) return null;
  let n = Math.max(1, Math.ceil((thresholdPercent * counted - 100 * stats.attended) / (100 - thresholdPercent)));
  while (n > 1 && !below(n - 1)) n--;
  while (below(n)) n++; // guards against floating-point edges of the closed form
  return n;
}

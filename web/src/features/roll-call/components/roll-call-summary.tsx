import type { Summary } from '../../../../../common/attendance.schemas.js';
import { AttendanceSummary } from '../../../components/attendance-summary.js';

/** The session's counts out of the enrolled students, as the server last reported them (live). */
export function RollCallSummary({ summary }: { summary: Summary }) {
  return (
    <AttendanceSummary
      summary={summary}
      testId="rc-summary"
      headline={
        <>
          <span data-testid="rc-summary-marked">{summary.enrolled - summary.unmarked}</span> of{' '}
          <span data-testid="rc-summary-enrolled" data-count={summary.enrolled}>
            {summary.enrolled}
          </span>{' '}
          enrolled marked
        </>
      }
    />
  );
}

import type { Summary } from '../../../../../common/attendance.schemas.js';
import { AttendanceSummary, checkedInCount } from '../../../components/attendance-summary.js';

export { checkedInCount };

/** The live counts on the teacher's live page: how many checked in, out of the enrolled students. */
export function SummaryBar({ summary }: { summary: Summary }) {
  return (
    <AttendanceSummary
      summary={summary}
      testId="summary"
      unmarkedLabel="Not yet"
      headline={
        <>
          <span data-testid="summary-checked-in">{checkedInCount(summary)}</span> / <span data-testid="summary-enrolled">{summary.enrolled}</span> checked in
        </>
      }
    />
  );
}

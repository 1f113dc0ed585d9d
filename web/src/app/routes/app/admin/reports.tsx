import { useDocumentTitle } from '@mantine/hooks';
import { ReportsOverview } from '../../../../features/reports/components/reports-overview.js';

/** `/admin/reports`: the institution's attendance per department and course. */
export function ReportsOverviewRoute() {
  useDocumentTitle('Reports · Rollbook');
  return <ReportsOverview />;
}

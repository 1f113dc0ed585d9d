import { useDocumentTitle } from '@mantine/hooks';
import { StudentCheckin } from '../../../features/checkin/components/student-checkin.js';

/** `/checkin`: a student types the code shown in class. */
export function CheckinRoute() {
  useDocumentTitle('Check in · Rollbook');
  return <StudentCheckin />;
}

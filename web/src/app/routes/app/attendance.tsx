import { useDocumentTitle } from '@mantine/hooks';
import { MyAttendance } from '../../../features/attendance/components/my-attendance.js';

/** `/attendance`: a student's attendance per course. */
export function AttendanceRoute() {
  useDocumentTitle('Attendance · Rollbook');
  return <MyAttendance />;
}

import { useDocumentTitle } from '@mantine/hooks';
import { SessionsCalendar } from '../../../features/calendar/components/sessions-calendar.js';
import { useUser } from '../../../lib/auth.js';

/** `/calendar`: a student's classes, a teacher's teaching sessions. */
export function CalendarRoute() {
  useDocumentTitle('Calendar · Rollbook');
  const { data: user } = useUser();
  return <SessionsCalendar staff={user?.role !== 'student'} />;
}

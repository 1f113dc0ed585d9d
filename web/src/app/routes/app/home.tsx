import { useDocumentTitle } from '@mantine/hooks';
import { AdminHome } from '../../../features/home/components/admin-home.js';
import { StudentHome } from '../../../features/home/components/student-home.js';
import { TeacherHome } from '../../../features/home/components/teacher-home.js';
import { useUser } from '../../../lib/auth.js';

/** `/`: each role's own home. */
export function HomeRoute() {
  useDocumentTitle('Home · Rollbook');
  const { data: user } = useUser();
  if (!user) return null;
  switch (user.role) {
    case 'admin':
      return <AdminHome name={user.name} />;
    case 'teacher':
      return <TeacherHome name={user.name} />;
    case 'student':
      return <StudentHome name={user.name} />;
  }
}

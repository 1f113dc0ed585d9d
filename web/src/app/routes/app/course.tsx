import { useParams } from 'react-router';
import { CourseDetail } from '../../../features/courses/components/course-detail.js';
import { useUser } from '../../../lib/auth.js';

/** `/courses/:courseId` */
export function CourseRoute() {
  const { courseId = '' } = useParams();
  const { data: user } = useUser();
  return <CourseDetail key={courseId} courseId={courseId} isAdmin={user?.role === 'admin'} />;
}

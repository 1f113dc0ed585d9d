import { useSearchParams } from 'react-router';
import { useDocumentTitle } from '@mantine/hooks';
import { AbsenceRequestForm } from '../../../features/absences/components/absence-request-form.js';
import { MyAbsences } from '../../../features/absences/components/my-absences.js';
import { ReviewQueue } from '../../../features/absences/components/review-queue.js';
import { useUser } from '../../../lib/auth.js';

/** `/absences`: a student's requests, or the review queue for teachers and admins. */
export function AbsencesRoute() {
  useDocumentTitle('Absences · Rollbook');
  const { data: user } = useUser();
  if (!user) return null;
  return user.role === 'student' ? <MyAbsences userId={user.id} /> : <ReviewQueue userId={user.id} />;
}

/** `/absences/new?courseId&sessionId`: a student's new request (from a course or an absent record). */
export function NewAbsenceRoute() {
  useDocumentTitle('Request an absence · Rollbook');
  const [params] = useSearchParams();
  return <AbsenceRequestForm initialCourseId={params.get('courseId') ?? undefined} initialSessionId={params.get('sessionId') ?? undefined} />;
}

import { useParams } from 'react-router';
import { useDocumentTitle } from '@mantine/hooks';
import { LiveSession } from '../../../../features/live-session/components/live-session.js';

/** `/sessions/:id/live`: the teacher runs a session. */
export function LiveSessionRoute() {
  useDocumentTitle('Live session · Rollbook');
  const { id = '' } = useParams();
  return <LiveSession key={id} sessionId={id} />;
}

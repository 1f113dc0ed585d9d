import { useParams } from 'react-router';
import { useDocumentTitle } from '@mantine/hooks';
import { Projector } from '../../../features/live-session/components/projector.js';

/** `/sessions/:id/projector`: full-screen code and QR for the room, outside the app shell. */
export function ProjectorRoute() {
  useDocumentTitle('Check in · Rollbook');
  const { id = '' } = useParams();
  return <Projector key={id} sessionId={id} />;
}

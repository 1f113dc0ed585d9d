import { useParams } from 'react-router';
import { useDocumentTitle } from '@mantine/hooks';
import { RollCall } from '../../../../features/roll-call/components/roll-call.js';

/** `/sessions/:id/roll-call`: a teacher (or several at once) marks the roster. */
export function RollCallRoute() {
  useDocumentTitle('Roll call · Rollbook');
  const { id = '' } = useParams();
  return <RollCall key={id} sessionId={id} />;
}

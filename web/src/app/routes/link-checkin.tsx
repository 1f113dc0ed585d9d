import { useLocation, useParams, useSearchParams } from 'react-router';
import { useDocumentTitle } from '@mantine/hooks';
import { LinkCheckin } from '../../features/checkin/components/link-checkin.js';

/** `/c/:sessionId?t=…`: what the QR opens, signed in or not. */
export function LinkCheckinRoute() {
  useDocumentTitle('Check in · Rollbook');
  const { sessionId = '' } = useParams();
  const [params] = useSearchParams();
  const location = useLocation();
  return (
    <LinkCheckin key={sessionId} sessionId={sessionId} token={params.get('t')} here={location.pathname + location.search} />
  );
}

import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { Alert, Anchor, Button, Center, Group, Loader, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconChecklist, IconLock, IconLogin } from '@tabler/icons-react';
import { ApiError } from '../../../lib/api-client.js';
import { useUser } from '../../../lib/auth.js';
import { CANVAS_VAR } from '../../../lib/colors.js';
import { formatDateTime } from '../../../lib/dates.js';
import { currentPosition } from '../../../lib/geolocation.js';
import { errorMessage } from '../../../lib/notify.js';
import { useCheckIn, type CheckinResult } from '../api/check-in.js';
import { usePublicSession, type PublicSession } from '../api/get-public-session.js';
import { describeCheckinError } from './checkin-messages.js';
import { CheckinProblemAlert } from './checkin-problem.js';
import { CheckinSuccess } from './checkin-success.js';
import { CodeCheckinForm } from './code-checkin-form.js';
import { LinkCheckinForm } from './link-checkin-form.js';

/** A phone-sized page of its own: the link is opened from a camera app, outside the signed-in shell. */
function LinkLayout({ session, children }: { session?: PublicSession; children: ReactNode }) {
  return (
    <Center mih="100dvh" p="md" bg={`var(${CANVAS_VAR})`} style={{ alignItems: 'flex-start' }}>
      <Stack w="100%" maw={460} gap="lg" pt={{ base: 'md', sm: 'xl' }} data-testid="link-checkin-page" data-state={session?.state ?? 'loading'}>
        <Group justify="center" gap="xs">
          <ThemeIcon size="lg" radius="md">
            <IconChecklist size={22} />
          </ThemeIcon>
          <Text fw={700} fz="xl">
            Rollbook
          </Text>
        </Group>
        {session ? (
          <Stack gap={2} ta="center">
            <Title order={1} fz="h3" data-testid="link-course">
              {session.courseCode} · {session.courseName}
            </Title>
            <Text c="dimmed">
              Lecture {session.number}
              {session.title ? `: ${session.title}` : ''} · {formatDateTime(session.startsAt)}
              {session.venue ? ` · ${session.venue}` : ''}
            </Text>
          </Stack>
        ) : null}
        {children}
      </Stack>
    </Center>
  );
}

/** A signed-in student who opened the QR link: the token is submitted at once. */
function InstantCheckin({ session, token, onCheckedIn }: { session: PublicSession; token: string; onCheckedIn: (r: CheckinResult) => void }) {
  const checkIn = useCheckIn();
  const { mutate } = checkIn;
  const started = useRef(false);
  const [sentLocation, setSentLocation] = useState(false);
  const [typing, setTyping] = useState(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void (async () => {
      const location = session.geofence ? await currentPosition().catch(() => undefined) : undefined;
      setSentLocation(location !== undefined);
      mutate({ code: token, sessionId: session.id, location }, { onSuccess: onCheckedIn });
    })();
  }, [mutate, session, token, onCheckedIn]);

  if (typing) return <CodeCheckinForm sessionId={session.id} wantsLocation={session.geofence} onCheckedIn={onCheckedIn} />;
  if (checkIn.isError) {
    const problem = describeCheckinError(checkIn.error, 'qr', sentLocation);
    return (
      <Stack gap="md">
        <CheckinProblemAlert problem={problem} />
        {problem.code === 'invalid_code' || problem.needsLocation ? (
          <Button size="lg" variant="light" onClick={() => setTyping(true)} data-testid="link-type-code">
            Type the code instead
          </Button>
        ) : null}
      </Stack>
    );
  }
  return (
    <Paper withBorder p="xl" radius="md">
      <Stack align="center" gap="sm">
        <Loader />
        <Text>Checking you in…</Text>
      </Stack>
    </Paper>
  );
}

/**
 * `/c/:sessionId?t=…`, what the QR opens: a signed-in student is checked in at once; without an
 * account the session may accept student number + name; otherwise the student signs in and comes back.
 */
export function LinkCheckin({ sessionId, token, here }: { sessionId: string; token: string | null; here: string }) {
  const me = useUser();
  const session = usePublicSession(sessionId);
  const [result, setResult] = useState<CheckinResult | null>(null);
  const navigate = useNavigate();
  const onCheckedIn = useCallback(
    (r: CheckinResult) => {
      setResult(r);
      // The token has done its job: a reload of this page must not resubmit a (by then expired) token.
      if (token) void navigate(`/c/${encodeURIComponent(sessionId)}`, { replace: true });
    },
    [navigate, sessionId, token],
  );

  if (me.isPending || session.isPending) {
    return (
      <LinkLayout>
        <Center py="xl">
          <Loader aria-label="Loading" />
        </Center>
      </LinkLayout>
    );
  }
  if (session.isError) {
    const missing = session.error instanceof ApiError && (session.error.status === 404 || session.error.code === 'validation_failed');
    return (
      <LinkLayout>
        <Alert color="red" title={missing ? 'Session not found' : 'Could not load the session'} data-testid="link-error">
          {missing ? 'This check-in link does not lead to a session. Scan the QR on the screen again.' : errorMessage(session.error)}
        </Alert>
      </LinkLayout>
    );
  }

  const s = session.data;
  const user = me.data ?? null;
  const signIn = `/login?redirectTo=${encodeURIComponent(here)}`;

  if (result) {
    return (
      <LinkLayout session={s}>
        <CheckinSuccess result={result}>
          {user ? (
            <Button component={Link} to="/" variant="light" mt="sm">
              Go to my home page
            </Button>
          ) : null}
        </CheckinSuccess>
      </LinkLayout>
    );
  }

  if (s.state !== 'open') {
    const text =
      s.state === 'closed'
        ? { title: 'This session is closed', body: 'Check-in for this session has ended. Talk to your teacher if you were there.' }
        : s.state === 'cancelled'
          ? { title: 'This session was cancelled', body: 'There is nothing to check in to.' }
          : { title: 'Check-in has not opened yet', body: 'Your teacher has not opened check-in yet. Try again once the code is on the screen.' };
    return (
      <LinkLayout session={s}>
        <Alert color={s.state === 'scheduled' ? 'blue' : 'gray'} icon={<IconLock size={20} />} title={text.title} data-testid="link-not-open">
          {text.body}
        </Alert>
        {s.state === 'scheduled' ? (
          <Button variant="light" onClick={() => void session.refetch()} loading={session.isFetching}>
            Try again
          </Button>
        ) : null}
      </LinkLayout>
    );
  }

  if (user && user.role === 'student') {
    return (
      <LinkLayout session={s}>
        {token ? (
          <InstantCheckin session={s} token={token} onCheckedIn={onCheckedIn} />
        ) : (
          <Paper withBorder p="md" radius="md">
            <CodeCheckinForm sessionId={s.id} wantsLocation={s.geofence} onCheckedIn={onCheckedIn} />
          </Paper>
        )}
        <Text size="sm" c="dimmed" ta="center">
          Signed in as {user.name}.
        </Text>
      </LinkLayout>
    );
  }

  if (user) {
    return (
      <LinkLayout session={s}>
        <Alert color="blue" title="This page is for students" data-testid="link-staff">
          You are signed in as {user.name} ({user.role}). Students check in here with their phones.
        </Alert>
        <Button component={Link} to={`/sessions/${encodeURIComponent(s.id)}/live`}>
          Open the live session page
        </Button>
      </LinkLayout>
    );
  }

  return (
    <LinkLayout session={s}>
      {s.linkCheckin ? (
        <>
          <Paper withBorder p="md" radius="md">
            <LinkCheckinForm sessionId={s.id} token={token} wantsLocation={s.geofence} onCheckedIn={onCheckedIn} />
          </Paper>
          <Text size="sm" ta="center">
            Have a Rollbook account?{' '}
            <Anchor component={Link} to={signIn} data-testid="link-sign-in">
              Sign in instead
            </Anchor>
          </Text>
        </>
      ) : (
        <Paper withBorder p="lg" radius="md">
          <Stack gap="md" ta="center">
            <Text>Sign in to check in to this session. You will come straight back here.</Text>
            <Button component={Link} to={signIn} size="lg" leftSection={<IconLogin size={18} />} data-testid="link-sign-in">
              Sign in to check in
            </Button>
          </Stack>
        </Paper>
      )}
    </LinkLayout>
  );
}

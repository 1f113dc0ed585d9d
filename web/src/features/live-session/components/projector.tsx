import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { Alert, Box, Button, Center, Group, Loader, SimpleGrid, Stack, Text, Transition } from '@mantine/core';
import { useDisclosure, useFullscreen, useLocalStorage, useViewportSize } from '@mantine/hooks';
import { IconArrowLeft, IconDoorExit, IconEye, IconEyeOff, IconMaximize, IconMinimize } from '@tabler/icons-react';
import type { Summary } from '../../../../../common/attendance.schemas.js';
import { RealtimeIndicator } from '../../../components/realtime-indicator.js';
import { STATUS_COLOR } from '../../../lib/colors.js';
import { errorMessage } from '../../../lib/notify.js';
import { recordList, type RecordWithStudent } from '../../../lib/queries/session-live.js';
import { useSessionLive } from '../../../lib/use-session-live.js';
import { formatSeconds, useCurrentCode, useSecondsLeft } from '../hooks/use-current-code.js';
import { CloseSessionModal } from './close-session-modal.js';
import { QrCode } from './qr-code.js';
import { checkedInCount } from './summary-bar.js';

const BG = '#0b1020';
const FG = '#ffffff';
const MUTED = '#aab4cf';

/** Keeps a projecting laptop from dimming or sleeping while the page is shown (where supported). */
function useWakeLock(active: boolean) {
  useEffect(() => {
    if (!active || !('wakeLock' in navigator)) return;
    let lock: WakeLockSentinel | null = null;
    let released = false;
    const acquire = () => {
      if (document.visibilityState !== 'visible') return;
      navigator.wakeLock
        .request('screen')
        .then((l) => {
          if (released) void l.release();
          else lock = l;
        })
        .catch(() => {});
    };
    acquire();
    document.addEventListener('visibilitychange', acquire);
    return () => {
      released = true;
      document.removeEventListener('visibilitychange', acquire);
      void lock?.release().catch(() => {});
    };
  }, [active]);
}

function Ticker({ records }: { records: RecordWithStudent[] }) {
  const newest = records.filter((r) => r.checkedInAt !== null).slice(0, 5);
  if (newest.length === 0) {
    return (
      <Text c={MUTED} fz="1.6rem">
        Waiting for the first check-in…
      </Text>
    );
  }
  return (
    <Stack gap={6} data-testid="projector-ticker">
      {newest.map((r, i) => (
        <TickerName key={r.studentId} name={r.student.name} first={i === 0} />
      ))}
    </Stack>
  );
}

function TickerName({ name, first }: { name: string; first: boolean }) {
  const [shown, setShown] = useState(false);
  useEffect(() => setShown(true), []);
  return (
    <Transition mounted={shown} transition="slide-left" duration={300}>
      {(style) => (
        <Text style={style} c={first ? FG : MUTED} fz={first ? '2rem' : '1.5rem'} fw={first ? 700 : 500} truncate data-testid="ticker-name">
          ✓ {name}
        </Text>
      )}
    </Transition>
  );
}

function FinalSummary({ summary }: { summary: Summary | undefined }) {
  if (!summary) return null;
  const parts = [
    ['present', summary.present],
    ['late', summary.late],
    ['absent', summary.absent],
    ['excused', summary.excused],
    ['pending', summary.pending],
  ] as const;
  return (
    <SimpleGrid cols={{ base: 2, sm: 5 }} spacing="xl" data-testid="projector-final-summary">
      {parts.map(([label, n]) => (
        <Stack key={label} gap={0} align="center" data-testid={`final-${label}`} data-count={n}>
          {/* The status colours' light shades: the projector is always dark. */}
          <Text fz="4rem" fw={800} c={`${STATUS_COLOR[label]}.3`} lh={1}>
            {n}
          </Text>
          <Text fz="1.4rem" c={MUTED}>
            {label}
          </Text>
        </Stack>
      ))}
    </SimpleGrid>
  );
}

/**
 * The projector view: a large rotating QR, the typed code as a fallback, the address to type, the
 * live count and the newest names. Full screen on request; once closed it shows the final summary.
 */
export function Projector({ sessionId }: { sessionId: string }) {
  const { session, course, records, roster } = useSessionLive(sessionId);
  const state = session.data?.state;
  const items = useMemo(() => recordList(records.data, roster.data), [records.data, roster.data]);
  const code = useCurrentCode(sessionId, state === 'open');
  const left = useSecondsLeft(code.data?.expiresAt);
  const { toggle, fullscreen } = useFullscreen();
  const { width, height } = useViewportSize();
  const [closeOpened, closeModal] = useDisclosure(false);
  // Names on a shared screen are not everyone's wish (privacy, exams): a count alone is enough.
  // Remembered per browser, since a projector PC is set up once.
  const [hideNames, setHideNames] = useLocalStorage({ key: 'rollbook.projector.hideNames', defaultValue: false });
  useWakeLock(state === 'open');

  // A projector is landscape; a narrow window (a phone, a split screen) stacks and scrolls instead.
  const narrow = width > 0 && width < 900;
  const page = (children: ReactNode) => (
    <Box
      h={narrow ? undefined : '100dvh'}
      mih="100dvh"
      bg={BG}
      c={FG}
      p={{ base: 'md', md: 'xl' }}
      style={{ overflow: narrow ? 'visible' : 'hidden', display: 'flex', flexDirection: 'column' }}
      data-testid="projector"
      data-state={state ?? 'loading'}
    >
      {children}
    </Box>
  );

  if (session.isPending) {
    return page(
      <Center h="90dvh">
        <Loader color="white" aria-label="Loading" />
      </Center>,
    );
  }
  if (session.isError) {
    return page(
      <Center h="90dvh">
        <Alert color="red" title="Could not load this session">
          {errorMessage(session.error)}
        </Alert>
      </Center>,
    );
  }

  const s = session.data;
  const summary = records.data?.summary;
  const count = summary ? checkedInCount(summary) : 0;
  const checkinAddress = code.data ? `${new URL(code.data.url).host}/checkin` : `${window.location.host}/checkin`;
  // The QR gets as much of the screen as it can while leaving room for the code beside it.
  const qrSize = narrow ? Math.max(200, width - 80) : Math.max(200, Math.min(height * 0.68, width * 0.44));
  const title = `${course.data ? `${course.data.code} · ${course.data.name}` : ''}`;

  return page(
    <Stack gap="lg" style={{ flex: 1, minHeight: 0 }}>
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <Stack gap={0} style={{ minWidth: 0 }}>
          <Text fz="2rem" fw={800} truncate data-testid="projector-course">
            {title || '\u00a0'}
          </Text>
          <Text fz="1.4rem" c={MUTED}>
            Lecture {s.number}
            {s.title ? ` · ${s.title}` : ''}
            {s.venue ? ` · ${s.venue}` : ''}
          </Text>
        </Stack>
        <Group gap="xs" wrap={narrow ? 'wrap' : 'nowrap'} justify="flex-end">
          <RealtimeIndicator />
          <Button
            variant="default"
            leftSection={hideNames ? <IconEye size={18} /> : <IconEyeOff size={18} />}
            onClick={() => setHideNames((v) => !v)}
            aria-pressed={hideNames}
            data-testid="projector-hide-names"
          >
            {hideNames ? 'Show names' : 'Hide names'}
          </Button>
          <Button
            variant="default"
            leftSection={fullscreen ? <IconMinimize size={18} /> : <IconMaximize size={18} />}
            onClick={() => void toggle()}
            data-testid="projector-fullscreen"
          >
            {fullscreen ? 'Exit full screen' : 'Full screen'}
          </Button>
          {s.state === 'open' ? (
            <Button color="red" leftSection={<IconDoorExit size={18} />} onClick={closeModal.open} data-testid="projector-close">
              Close
            </Button>
          ) : (
            <Button
              component={Link}
              to={`/sessions/${encodeURIComponent(sessionId)}/live`}
              variant="default"
              leftSection={<IconArrowLeft size={18} />}
            >
              Live page
            </Button>
          )}
        </Group>
      </Group>

      {s.state === 'open' ? (
        <Group gap="xl" wrap={narrow ? 'wrap' : 'nowrap'} align="center" justify="center" style={{ flex: 1, minHeight: 0 }}>
          <Box bg="#fff" p="md" style={{ borderRadius: 16, lineHeight: 0 }}>
            {code.data ? <QrCode url={code.data.url} size={qrSize} testId="projector-qr" /> : <Box w={qrSize} h={qrSize} />}
          </Box>
          <Stack gap="lg" style={{ minWidth: 0, maxHeight: '100%', overflow: 'hidden' }}>
            <div>
              <Text fz="1.6rem" c={MUTED}>
                Scan the QR, or go to
              </Text>
              <Text fz="2.2rem" fw={700} ff="monospace" data-testid="projector-address" style={{ wordBreak: 'break-all' }}>
                {checkinAddress}
              </Text>
              <Text fz="1.6rem" c={MUTED}>
                and type
              </Text>
            </div>
            <Text
              ff="monospace"
              fw={900}
              lh={1}
              fz={`clamp(3rem, ${Math.round(Math.min(width * 0.085, height * 0.16))}px, 12rem)`}
              style={{ letterSpacing: '0.14em' }}
              data-testid="projector-code"
            >
              {code.data?.code ?? '······'}
            </Text>
            <Text fz="1.5rem" c={MUTED} data-testid="projector-countdown">
              {left !== null ? `${code.data && code.data.rotateSeconds > 0 ? 'Changes' : 'New code'} in ${formatSeconds(left)}` : '\u00a0'}
            </Text>
            <Group gap="md" align="baseline">
              <Text fz="5rem" fw={900} lh={1} data-testid="projector-count" data-count={count}>
                {count} / {summary?.enrolled ?? '–'}
              </Text>
              <Text fz="1.6rem" c={MUTED}>
                checked in
              </Text>
            </Group>
            {hideNames ? null : <Ticker records={items} />}
          </Stack>
        </Group>
      ) : (
        <Center style={{ flex: 1 }} mih="60dvh">
          <Stack align="center" gap="xl">
            <Text fz="4rem" fw={900} ta="center" data-testid="projector-status">
              {s.state === 'closed'
                ? 'This session is closed'
                : s.state === 'cancelled'
                  ? 'This session is cancelled'
                  : 'Check-in is not open yet'}
            </Text>
            {s.state === 'closed' ? (
              <>
                <Text fz="2rem" c={MUTED}>
                  {summary ? `${checkedInCount(summary)} of ${summary.enrolled} checked in` : ''}
                </Text>
                <FinalSummary summary={summary} />
              </>
            ) : s.state === 'scheduled' ? (
              <Text fz="1.6rem" c={MUTED}>
                Open it from the live page; this screen then shows the code.
              </Text>
            ) : null}
          </Stack>
        </Center>
      )}

      <CloseSessionModal sessionId={sessionId} opened={closeOpened} summary={summary} onClose={closeModal.close} />
    </Stack>,
  );
}

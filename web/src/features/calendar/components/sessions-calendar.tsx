import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ActionIcon, Box, Button, Center, Group, Loader, Paper, SegmentedControl, SimpleGrid, Stack, Text, Title, Tooltip, UnstyledButton, VisuallyHidden } from '@mantine/core';
import { useDisclosure, useMediaQuery } from '@mantine/hooks';
import { IconCalendarShare, IconChevronLeft, IconChevronRight } from '@tabler/icons-react';
import type { MySession } from '../../../../../common/calendar.schemas.js';
import type { SessionState } from '../../../../../common/session.schemas.js';
import { MySessionCard } from '../../../components/my-session-card.js';
import { QueryError } from '../../../components/query-error.js';
import { SESSION_STATE_COLOR } from '../../../components/session-state-badge.js';
import { dayjs, formatDateRange, formatLongDay, formatMonth, formatTime, weekdayNames } from '../../../lib/dates.js';
import { useMySessions } from '../api/my-sessions.js';
import { SubscribeModal } from './subscribe-modal.js';

type View = 'month' | 'week';

const WEEKDAY_NAMES = weekdayNames();
// A session's state colour, in the shade that stands out from the page in either colour scheme.
const dot = (state: SessionState) => `var(--mantine-color-${SESSION_STATE_COLOR[state]}-text)`;

function byDay(sessions: MySession[]): Map<string, MySession[]> {
  const map = new Map<string, MySession[]>();
  for (const s of sessions) {
    const key = dayjs(s.startsAt).format('YYYY-MM-DD');
    const list = map.get(key) ?? [];
    list.push(s);
    map.set(key, list);
  }
  for (const list of map.values()) list.sort((a, b) => a.startsAt.localeCompare(b.startsAt));
  return map;
}

function MonthGrid({
  anchor,
  days,
  selected,
  onSelect,
  wide,
}: {
  anchor: dayjs.Dayjs;
  days: Map<string, MySession[]>;
  selected: string;
  onSelect: (date: string) => void;
  wide: boolean;
}) {
  const start = anchor.startOf('month').startOf('isoWeek');
  const end = anchor.endOf('month').endOf('isoWeek');
  const cells: dayjs.Dayjs[] = [];
  for (let d = start; !d.isAfter(end, 'day'); d = d.add(1, 'day')) cells.push(d);
  const today = dayjs().format('YYYY-MM-DD');

  return (
    <Box data-testid="calendar-month">
      <SimpleGrid cols={7} spacing={2} mb={2}>
        {WEEKDAY_NAMES.map((n) => (
          <Text key={n} size="xs" fw={600} c="dimmed" ta="center">
            {wide ? n : [...n].slice(0, 2).join('')}
          </Text>
        ))}
      </SimpleGrid>
      <SimpleGrid cols={7} spacing={2}>
        {cells.map((d) => {
          const key = d.format('YYYY-MM-DD');
          const list = days.get(key) ?? [];
          const inMonth = d.month() === anchor.month();
          const isSelected = key === selected;
          return (
            <UnstyledButton
              key={key}
              onClick={() => onSelect(key)}
              aria-pressed={isSelected}
              data-testid={`calendar-day-${key}`}
              data-count={list.length}
              style={{
                minHeight: wide ? 96 : 52,
                padding: 4,
                borderRadius: 6,
                border: `1px solid ${isSelected ? 'var(--mantine-color-blue-6)' : 'var(--mantine-color-gray-3)'}`,
                background: isSelected ? 'var(--mantine-color-blue-light)' : inMonth ? undefined : 'var(--mantine-color-gray-0)',
                opacity: inMonth ? 1 : 0.6,
                display: 'flex',
                flexDirection: 'column',
                alignItems: 'stretch',
                overflow: 'hidden',
              }}
            >
              {/* Its name is what it shows plus the full date, read out instead of the bare day number. */}
              <VisuallyHidden>{`${formatLongDay(d)}: ${list.length === 0 ? 'no sessions' : `${list.length} ${list.length === 1 ? 'session' : 'sessions'}`}`}</VisuallyHidden>
              <Text size="xs" fw={key === today ? 800 : 500} c={key === today ? 'blue' : undefined} ta={wide ? 'left' : 'center'} aria-hidden>
                {d.date()}
              </Text>
              {wide ? (
                <Stack gap={2} mt={2}>
                  {list.slice(0, 3).map((s) => (
                    <Text
                      key={s.id}
                      size="xs"
                      truncate
                      td={s.state === 'cancelled' ? 'line-through' : undefined}
                      style={{ borderLeft: `3px solid ${dot(s.state)}`, paddingLeft: 4 }}
                    >
                      {formatTime(s.startsAt)} {s.course.code}
                    </Text>
                  ))}
                  {list.length > 3 ? (
                    <Text size="xs" c="dimmed">
                      +{list.length - 3} more
                    </Text>
                  ) : null}
                </Stack>
              ) : list.length > 0 ? (
                <Group gap={2} justify="center" mt={4}>
                  {list.slice(0, 4).map((s) => (
                    <Box key={s.id} w={6} h={6} style={{ borderRadius: 6, background: dot(s.state) }} />
                  ))}
                </Group>
              ) : null}
            </UnstyledButton>
          );
        })}
      </SimpleGrid>
    </Box>
  );
}

function DayAgenda({ date, sessions, staff }: { date: string; sessions: MySession[]; staff: boolean }) {
  const d = dayjs(date);
  return (
    <Stack gap="xs" data-testid={`calendar-agenda-${date}`}>
      <Text fw={600} size="sm">
        {formatLongDay(d)}
        {d.isSame(dayjs(), 'day') ? ' · today' : ''}
      </Text>
      {sessions.length === 0 ? (
        <Text size="sm" c="dimmed">
          No sessions.
        </Text>
      ) : (
        sessions.map((s) => <MySessionCard key={s.id} session={s} staff={staff} />)
      )}
    </Stack>
  );
}

/** Month grid and week list of the caller's sessions, with the iCalendar subscription. */
export function SessionsCalendar({ staff }: { staff: boolean }) {
  const [params, setParams] = useSearchParams();
  const view: View = params.get('view') === 'week' ? 'week' : 'month';
  const dateParam = params.get('date');
  const anchor = dateParam && dayjs(dateParam).isValid() ? dayjs(dateParam) : dayjs().startOf('day');
  const [selected, setSelected] = useState(() => anchor.format('YYYY-MM-DD'));
  const [subscribeOpen, subscribe] = useDisclosure(false);
  const wide = useMediaQuery('(min-width: 62em)', false, { getInitialValueInEffect: false });

  const anchorKey = anchor.format('YYYY-MM-DD');
  const range = useMemo(() => {
    const a = dayjs(anchorKey);
    const from = view === 'month' ? a.startOf('month').startOf('isoWeek') : a.startOf('isoWeek');
    const to = view === 'month' ? a.endOf('month').endOf('isoWeek') : a.endOf('isoWeek');
    return { from, to };
  }, [view, anchorKey]);
  const sessions = useMySessions(range.from.toISOString(), range.to.toISOString());
  const days = useMemo(() => byDay(sessions.data ?? []), [sessions.data]);

  function go(next: dayjs.Dayjs, nextView: View = view) {
    const p: Record<string, string> = { date: next.format('YYYY-MM-DD') };
    if (nextView === 'week') p.view = 'week';
    setParams(p, { replace: true });
  }
  const step = (dir: 1 | -1) => {
    const next = anchor.add(dir, view === 'month' ? 'month' : 'week');
    go(next);
    setSelected((view === 'month' ? next.startOf('month') : next.startOf('isoWeek')).format('YYYY-MM-DD'));
  };

  const title =
    view === 'month'
      ? formatMonth(anchor)
      : formatDateRange(range.from, range.to);
  const total = sessions.data?.length ?? 0;

  const weekDays: string[] = [];
  if (view === 'week') for (let i = 0; i < 7; i++) weekDays.push(range.from.add(i, 'day').format('YYYY-MM-DD'));

  return (
    <Stack gap="md" data-testid="calendar-page">
      <Group justify="space-between" gap="xs">
        <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
          Calendar
        </Title>
        <Button variant="light" leftSection={<IconCalendarShare size={18} />} onClick={subscribe.open} data-testid="calendar-subscribe">
          Subscribe in your calendar app
        </Button>
      </Group>

      <Group justify="space-between" gap="xs">
        <Group gap={4} wrap="nowrap">
          <Tooltip label={view === 'month' ? 'Previous month' : 'Previous week'}>
            <ActionIcon variant="default" size="lg" onClick={() => step(-1)} aria-label="Previous" data-testid="calendar-prev">
              <IconChevronLeft size={18} />
            </ActionIcon>
          </Tooltip>
          <Button
            variant="default"
            onClick={() => {
              go(dayjs());
              setSelected(dayjs().format('YYYY-MM-DD'));
            }}
            data-testid="calendar-today"
          >
            Today
          </Button>
          <Tooltip label={view === 'month' ? 'Next month' : 'Next week'}>
            <ActionIcon variant="default" size="lg" onClick={() => step(1)} aria-label="Next" data-testid="calendar-next">
              <IconChevronRight size={18} />
            </ActionIcon>
          </Tooltip>
          <Text fw={600} ml="xs" data-testid="calendar-title">
            {title}
          </Text>
          {sessions.isFetching ? <Loader size={14} ml={4} aria-label="Loading" /> : null}
        </Group>
        <SegmentedControl
          size="xs"
          aria-label="View"
          value={view}
          onChange={(v) => go(v === 'week' ? dayjs(selected) : anchor, v as View)}
          data={[
            { label: 'Month', value: 'month' },
            { label: 'Week', value: 'week' },
          ]}
          data-testid="calendar-view"
        />
      </Group>

      {sessions.isError ? <QueryError title="Could not load your sessions" error={sessions.error} onRetry={() => void sessions.refetch()} testId="calendar-error" /> : null}

      {sessions.isPending ? (
        <Center py="xl">
          <Loader aria-label="Loading your sessions" />
        </Center>
      ) : view === 'month' ? (
        <>
          <Paper withBorder p={{ base: 4, sm: 'xs' }}>
            <MonthGrid anchor={anchor} days={days} selected={selected} onSelect={setSelected} wide={wide} />
          </Paper>
          <DayAgenda date={selected} sessions={days.get(selected) ?? []} staff={staff} />
        </>
      ) : (
        <Stack gap="md" data-testid="calendar-week">
          {weekDays.map((d) => (
            <DayAgenda key={d} date={d} sessions={days.get(d) ?? []} staff={staff} />
          ))}
        </Stack>
      )}
      {!sessions.isPending && !sessions.isError && total === 0 ? (
        <Text c="dimmed" ta="center" size="sm" data-testid="calendar-empty">
          {staff ? 'No sessions of your courses in this period.' : 'No classes in this period.'}
        </Text>
      ) : null}
      <SubscribeModal opened={subscribeOpen} onClose={subscribe.close} />
    </Stack>
  );
}

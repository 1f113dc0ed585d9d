import { useEffect, useMemo, useState, type FormEvent } from 'react';
import {
  Alert,
  Badge,
  Button,
  Chip,
  CloseButton,
  Group,
  Input,
  Loader,
  Modal,
  ScrollArea,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useDebouncedValue, useMediaQuery } from '@mantine/hooks';
import { IconCalendarPlus } from '@tabler/icons-react';
import { bulkSessionsBody, sessionKindSchema, type BulkPreview, type BulkSessionsInput, type SessionKind } from '../../../../../common/session.schemas.js';
import { SESSION_KIND_OPTIONS } from '../../../components/session-state-badge.js';
import { dayjs, formatDate, formatShortDate, formatTime } from '../../../lib/dates.js';
import { blankToNull } from '../../../lib/form.js';
import { errorMessage, notifySuccess } from '../../../lib/notify.js';
import { useBulkPreview, useBulkSessions } from '../api/sessions.js';

const WEEKDAYS = [
  { value: '1', label: 'Mon' },
  { value: '2', label: 'Tue' },
  { value: '3', label: 'Wed' },
  { value: '4', label: 'Thu' },
  { value: '5', label: 'Fri' },
  { value: '6', label: 'Sat' },
  { value: '7', label: 'Sun' },
];

interface Pattern {
  weekdays: string[];
  startTime: string;
  endTime: string;
  from: string;
  until: string;
  venue: string;
  title: string;
  kind: SessionKind;
  skipDates: string[];
}

function initialPattern(): Pattern {
  const today = dayjs();
  return {
    weekdays: [],
    startTime: '09:00',
    endTime: '10:30',
    from: today.format('YYYY-MM-DD'),
    until: today.add(12, 'week').format('YYYY-MM-DD'),
    venue: '',
    title: '',
    kind: 'lecture',
    skipDates: [],
  };
}

function toInput(p: Pattern): BulkSessionsInput | { errors: Record<string, string> } {
  const body = {
    kind: p.kind,
    from: p.from,
    until: p.until,
    weekdays: p.weekdays.map(Number).sort(),
    startTime: p.startTime,
    endTime: p.endTime,
    venue: blankToNull(p.venue),
    title: blankToNull(p.title),
    skipDates: p.skipDates.length > 0 ? p.skipDates : undefined,
  };
  const parsed = bulkSessionsBody.safeParse(body);
  const errors: Record<string, string> = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? 'form');
      errors[key] ??= key === 'weekdays' ? 'Pick at least one weekday' : issue.message;
    }
  }
  if (p.from && p.until && p.until < p.from) errors.until ??= 'Must be on or after the first date';
  if (p.startTime && p.endTime && p.endTime <= p.startTime) errors.endTime ??= 'Must be after the start time';
  return Object.keys(errors).length > 0 || !parsed.success ? { errors } : parsed.data;
}

/** Wall-clock date and time in the institution's zone, the zone the pattern is written in. */
function inZone(iso: string, timeZone: string, withYear = false): { date: string; time: string } {
  const show = (zone: { timeZone?: string }) => ({ date: (withYear ? formatDate : formatShortDate)(iso, zone), time: formatTime(iso, zone) });
  try {
    return show({ timeZone });
  } catch {
    // A zone this browser does not know: the device's own.
    return show({});
  }
}

function PreviewList({ preview }: { preview: BulkPreview }) {
  if (preview.items.length === 0) {
    return (
      <Alert color="yellow" data-testid="bulk-preview-empty">
        This pattern creates no sessions: no chosen weekday falls between the dates (or all of them are skipped).
      </Alert>
    );
  }
  const first = preview.items[0]!;
  const last = preview.items[preview.items.length - 1]!;
  const span = (iso: string) => inZone(iso, preview.timezone, true).date;
  return (
    <Stack gap={6}>
      <Text size="sm" data-testid="bulk-preview-summary">
        <b>{preview.items.length}</b> new {preview.items.length === 1 ? 'session' : 'sessions'}, {span(first.startsAt)}
        {preview.items.length > 1 ? ` – ${span(last.startsAt)}` : ''}; times in {preview.timezone}
        {preview.skipped.length > 0 ? `; ${preview.skipped.length} skipped` : ''}.
        {first.number > 1 ? ' Lecture numbers count the sessions the course already has.' : ''}
      </Text>
      <ScrollArea.Autosize mah={240} type="auto">
        <Table striped withTableBorder verticalSpacing={4} fz="sm" data-testid="bulk-preview-list">
          <Table.Tbody>
            {preview.items.map((item) => {
              const start = inZone(item.startsAt, preview.timezone);
              const end = inZone(item.endsAt, preview.timezone);
              return (
                <Table.Tr key={item.date}>
                  <Table.Td fw={500} style={{ whiteSpace: 'nowrap' }}>
                    Lecture {item.number}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{start.date}</Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    {start.time}–{end.time}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </ScrollArea.Autosize>
      {preview.skipped.length > 0 ? (
        <Text size="xs" c="dimmed">
          Skipped: {preview.skipped.map((d) => formatDate(d)).join(', ')}
        </Text>
      ) : null}
    </Stack>
  );
}

/** "Add sessions": a weekly pattern over a term, with a live preview of the dates it will create. */
export function BulkSessionsModal({ courseId, opened, onClose }: { courseId: string; opened: boolean; onClose: () => void }) {
  const bulk = useBulkSessions(courseId);
  const fullScreen = useMediaQuery('(max-width: 36em)', false, { getInitialValueInEffect: false });
  const [pattern, setPattern] = useState<Pattern>(initialPattern);
  const [skipDraft, setSkipDraft] = useState('');
  const [showErrors, setShowErrors] = useState(false);
  const { reset } = bulk;

  useEffect(() => {
    if (!opened) return;
    setPattern(initialPattern());
    setSkipDraft('');
    setShowErrors(false);
    reset();
  }, [opened, reset]);

  const set = <K extends keyof Pattern>(key: K, value: Pattern[K]) => setPattern((p) => ({ ...p, [key]: value }));
  const checked = useMemo(() => toInput(pattern), [pattern]);
  const errors = 'errors' in checked ? checked.errors : {};
  const [debounced] = useDebouncedValue(checked, 400);
  const preview = useBulkPreview(courseId, opened && !('errors' in debounced) ? debounced : null);
  const previewStale = preview.isFetching || debounced !== checked;

  function addSkip() {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(skipDraft)) return;
    if (!pattern.skipDates.includes(skipDraft)) set('skipDates', [...pattern.skipDates, skipDraft].sort());
    setSkipDraft('');
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setShowErrors(true);
    if ('errors' in checked) return;
    bulk.mutate(checked, {
      onSuccess: ({ items }) => {
        notifySuccess(`${items.length} ${items.length === 1 ? 'session' : 'sessions'} added.`, 'Sessions added');
        onClose();
      },
    });
  }

  const err = (key: string) => (showErrors || (key !== 'weekdays' && key !== 'form') ? errors[key] : undefined);

  return (
    <Modal opened={opened} onClose={onClose} title="Add sessions (weekly)" size="xl" fullScreen={fullScreen} closeButtonProps={{ 'aria-label': 'Close' }}>
      <form onSubmit={submit} noValidate data-testid="bulk-form">
        <Stack gap="sm">
          <Input.Wrapper label="On" required error={err('weekdays')}>
            <Chip.Group multiple value={pattern.weekdays} onChange={(v) => set('weekdays', v)}>
              <Group gap={6} mt={4}>
                {WEEKDAYS.map((d) => (
                  <Chip key={d.value} value={d.value} size="sm" data-testid={`bulk-weekday-${d.value}`}>
                    {d.label}
                  </Chip>
                ))}
              </Group>
            </Chip.Group>
          </Input.Wrapper>
          <SimpleGrid cols={{ base: 2 }} spacing="sm">
            <TextInput type="time" label="Starts" required value={pattern.startTime} onChange={(e) => set('startTime', e.currentTarget.value)} error={err('startTime')} data-testid="bulk-start" />
            <TextInput type="time" label="Ends" required value={pattern.endTime} onChange={(e) => set('endTime', e.currentTarget.value)} error={err('endTime')} data-testid="bulk-end" />
            <TextInput type="date" label="From" required value={pattern.from} onChange={(e) => set('from', e.currentTarget.value)} error={err('from')} data-testid="bulk-from" />
            <TextInput type="date" label="Until" required value={pattern.until} onChange={(e) => set('until', e.currentTarget.value)} error={err('until')} data-testid="bulk-until" />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <Select
              label="Kind"
              data={SESSION_KIND_OPTIONS}
              value={pattern.kind}
              onChange={(value) => set('kind', sessionKindSchema.catch('lecture').parse(value))}
              allowDeselect={false}
              data-testid="bulk-kind"
            />
            <TextInput label="Venue" placeholder="e.g. Room 101" value={pattern.venue} onChange={(e) => set('venue', e.currentTarget.value)} error={err('venue')} data-testid="bulk-venue" />
            <TextInput label="Title" placeholder="Optional, shown after “Lecture N”" value={pattern.title} onChange={(e) => set('title', e.currentTarget.value)} error={err('title')} />
          </SimpleGrid>
          <Input.Wrapper label="Skip dates" description="Holidays and other days without class">
            <Group gap="xs" mt={4} align="flex-start" wrap="nowrap">
              <TextInput
                type="date"
                aria-label="Date to skip"
                value={skipDraft}
                onChange={(e) => setSkipDraft(e.currentTarget.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') {
                    e.preventDefault();
                    addSkip();
                  }
                }}
                style={{ flex: 1 }}
                maw={220}
                data-testid="bulk-skip-date"
              />
              <Button variant="default" onClick={addSkip} disabled={!skipDraft} data-testid="bulk-skip-add">
                Skip
              </Button>
            </Group>
            {pattern.skipDates.length > 0 ? (
              <Group gap={6} mt={6}>
                {pattern.skipDates.map((d) => (
                  <Badge
                    key={d}
                    variant="light"
                    color="orange"
                    pr={3}
                    rightSection={<CloseButton size="xs" aria-label={`Do not skip ${d}`} onClick={() => set('skipDates', pattern.skipDates.filter((x) => x !== d))} />}
                  >
                    {formatDate(d)}
                  </Badge>
                ))}
              </Group>
            ) : null}
          </Input.Wrapper>

          <Stack gap={6} data-testid="bulk-preview">
            <Group gap="xs">
              <Text fw={600}>Preview</Text>
              {previewStale && !('errors' in checked) ? <Loader size={14} aria-label="Updating the preview" /> : null}
            </Group>
            {'errors' in checked ? (
              <Text size="sm" c="dimmed">
                {errors.weekdays ? 'Pick the weekdays to see the dates.' : 'Fix the fields above to see the dates.'}
              </Text>
            ) : preview.isError ? (
              <Alert color="red" title="Could not preview" data-testid="bulk-preview-error">
                {errorMessage(preview.error)}
              </Alert>
            ) : preview.data ? (
              <div style={{ opacity: previewStale ? 0.6 : 1 }}>
                <PreviewList preview={preview.data} />
              </div>
            ) : (
              <Loader size="sm" aria-label="Loading the preview" />
            )}
          </Stack>

          {bulk.isError ? (
            <Alert color="red" title="Could not add the sessions" data-testid="bulk-error">
              {errorMessage(bulk.error)}
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button
              type="submit"
              leftSection={<IconCalendarPlus size={18} />}
              loading={bulk.isPending}
              disabled={preview.data?.items.length === 0 && !previewStale}
              data-testid="bulk-submit"
            >
              {!('errors' in checked) && preview.data && !previewStale
                ? `Add ${preview.data.items.length} ${preview.data.items.length === 1 ? 'session' : 'sessions'}`
                : 'Add sessions'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

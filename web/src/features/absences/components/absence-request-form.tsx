import { useMemo, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import {
  Alert,
  Button,
  Checkbox,
  Group,
  Loader,
  Progress,
  SegmentedControl,
  Select,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { IconCamera, IconPaperclip, IconX } from '@tabler/icons-react';
import { ABSENCE_ATTACHMENTS_MAX, absenceCategorySchema, type AbsenceCategory } from '../../../../../common/absence.schemas.js';
import { LIMITS } from '../../../../../common/limits.js';
import { dayjs, formatDateTime } from '../../../lib/dates.js';
import { errorMessage } from '../../../lib/notify.js';
import { uploadAttachment, useCreateAbsence, useMyCourses, useMySessionsBetween } from '../api/absences.js';
import { CATEGORY_LABEL } from './absence-state-badge.js';

interface PickedFile {
  key: string;
  file: File;
  progress: number;
  error?: string;
}

/**
 * A student's absence request, phone first: the course, the sessions (or dates), why, and photos
 * of the note from the camera or files, each uploaded with its own progress bar.
 */
export function AbsenceRequestForm({ initialCourseId, initialSessionId }: { initialCourseId?: string; initialSessionId?: string }) {
  const navigate = useNavigate();
  const courses = useMyCourses();
  const [courseId, setCourseId] = useState<string | null>(initialCourseId ?? null);
  const [mode, setMode] = useState<'sessions' | 'dates'>('sessions');
  const [sessionIds, setSessionIds] = useState<string[]>(initialSessionId ? [initialSessionId] : []);
  const [from, setFrom] = useState(dayjs().format('YYYY-MM-DD'));
  const [to, setTo] = useState(dayjs().format('YYYY-MM-DD'));
  const [category, setCategory] = useState<AbsenceCategory>('illness');
  const [reason, setReason] = useState('');
  const [files, setFiles] = useState<PickedFile[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const camera = useRef<HTMLInputElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const create = useCreateAbsence();

  const window = useMemo(() => ({ from: dayjs().subtract(30, 'day').startOf('day').toISOString(), to: dayjs().add(60, 'day').endOf('day').toISOString() }), []);
  const sessions = useMySessionsBetween(window.from, window.to);
  const courseSessions = (sessions.data ?? []).filter((s) => s.courseId === courseId && s.state !== 'cancelled');

  const addFiles = (list: FileList | null) => {
    if (!list) return;
    const added = [...list].map((file, i) => ({ key: `${Date.now()}-${i}-${file.name}`, file, progress: 0 }));
    setFiles((current) => [...current, ...added].slice(0, ABSENCE_ATTACHMENTS_MAX));
  };

  const submit = async () => {
    setError(null);
    if (!courseId) return setError('Pick the course.');
    if (!reason.trim()) return setError('Say briefly why.');
    if (mode === 'sessions' && sessionIds.length === 0) return setError('Pick at least one session.');
    setBusy(true);
    try {
      const absence = await create.mutateAsync({
        courseId,
        reason: reason.trim(),
        category,
        ...(mode === 'sessions' ? { sessionIds } : { from, to }),
      });
      for (const f of files) {
        try {
          await uploadAttachment(absence.id, f.file, (p) => setFiles((cur) => cur.map((x) => (x.key === f.key ? { ...x, progress: p } : x))));
        } catch (err) {
          setFiles((cur) => cur.map((x) => (x.key === f.key ? { ...x, error: errorMessage(err) } : x)));
          setError(`The request was sent, but ${f.file.name} could not be attached: ${errorMessage(err)}`);
          setBusy(false);
          return;
        }
      }
      navigate('/absences', { replace: true });
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Stack gap="md" maw={560} data-testid="absence-form">
      <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
        Request an absence
      </Title>
      <Select
        label="Course"
        placeholder={courses.isPending ? 'Loading…' : 'Pick a course'}
        data={(courses.data ?? []).map((c) => ({ value: c.id, label: `${c.code} · ${c.name}` }))}
        value={courseId}
        onChange={(v) => {
          setCourseId(v);
          setSessionIds([]);
        }}
        data-testid="absence-course"
        comboboxProps={{ withinPortal: true }}
      />
      <SegmentedControl
        fullWidth
        value={mode}
        onChange={(v) => setMode(v as 'sessions' | 'dates')}
        data={[
          { value: 'sessions', label: 'Pick sessions' },
          { value: 'dates', label: 'Dates' },
        ]}
        data-testid="absence-mode"
      />
      {mode === 'sessions' ? (
        <Stack gap={6} data-testid="absence-sessions">
          {!courseId ? (
            <Text size="sm" c="dimmed">
              Pick a course first.
            </Text>
          ) : sessions.isPending ? (
            <Loader size="sm" aria-label="Loading sessions" />
          ) : courseSessions.length === 0 ? (
            <Text size="sm" c="dimmed">
              No sessions of this course in the last 30 or next 60 days; use dates instead.
            </Text>
          ) : (
            courseSessions.map((s) => (
              <Checkbox
                key={s.id}
                size="md"
                checked={sessionIds.includes(s.id)}
                onChange={(e) => {
                  const on = e.currentTarget.checked;
                  setSessionIds((cur) => (on ? [...cur, s.id] : cur.filter((x) => x !== s.id)));
                }}
                label={`${s.title || `Lecture ${s.number}`} · ${formatDateTime(s.startsAt)}${s.record ? ` · ${s.record.status}` : ''}`}
                data-testid="absence-session"
                data-session-id={s.id}
              />
            ))
          )}
        </Stack>
      ) : (
        <Group grow>
          <TextInput type="date" label="From" value={from} onChange={(e) => setFrom(e.currentTarget.value)} data-testid="absence-from" />
          <TextInput type="date" label="To" value={to} onChange={(e) => setTo(e.currentTarget.value)} data-testid="absence-to" />
        </Group>
      )}
      <Select
        label="Category"
        data={absenceCategorySchema.options.map((c) => ({ value: c, label: CATEGORY_LABEL[c] }))}
        value={category}
        onChange={(v) => v && setCategory(v as AbsenceCategory)}
        allowDeselect={false}
        data-testid="absence-category"
        comboboxProps={{ withinPortal: true }}
      />
      <Textarea
        label="Reason"
        autosize
        minRows={3}
        maxLength={LIMITS.textMax}
        value={reason}
        onChange={(e) => setReason(e.currentTarget.value)}
        data-testid="absence-reason"
      />
      <Stack gap={6}>
        <Text size="sm" fw={500}>
          Documents (up to {ABSENCE_ATTACHMENTS_MAX}: photos or PDFs)
        </Text>
        <input ref={camera} type="file" accept="image/*" capture="environment" hidden onChange={(e) => addFiles(e.currentTarget.files)} data-testid="absence-camera-input" />
        <input
          ref={picker}
          type="file"
          accept="image/jpeg,image/png,image/webp,image/heic,.heic,application/pdf"
          multiple
          hidden
          onChange={(e) => addFiles(e.currentTarget.files)}
          data-testid="absence-file-input"
        />
        <Group grow>
          <Button variant="light" leftSection={<IconCamera size={18} />} onClick={() => camera.current?.click()} disabled={files.length >= ABSENCE_ATTACHMENTS_MAX}>
            Take a photo
          </Button>
          <Button variant="light" leftSection={<IconPaperclip size={18} />} onClick={() => picker.current?.click()} disabled={files.length >= ABSENCE_ATTACHMENTS_MAX}>
            Choose files
          </Button>
        </Group>
        {files.map((f) => (
          <Stack key={f.key} gap={2} data-testid="absence-picked-file">
            <Group justify="space-between" wrap="nowrap">
              <Text size="sm" truncate>
                {f.file.name} · {Math.ceil(f.file.size / 1024)} KB
              </Text>
              {!busy ? (
                <Button size="compact-xs" variant="subtle" color="gray" aria-label={`Remove ${f.file.name}`} onClick={() => setFiles((cur) => cur.filter((x) => x.key !== f.key))}>
                  <IconX size={14} />
                </Button>
              ) : null}
            </Group>
            {busy || f.progress > 0 ? <Progress value={f.progress * 100} color={f.error ? 'red' : 'blue'} size="sm" aria-label={`Upload of ${f.file.name}`} /> : null}
          </Stack>
        ))}
      </Stack>
      {error ? (
        <Alert color="red" data-testid="absence-error">
          {error}
        </Alert>
      ) : null}
      <Button size="md" onClick={() => void submit()} loading={busy} data-testid="absence-submit">
        Send request
      </Button>
    </Stack>
  );
}

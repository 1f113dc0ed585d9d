import { useCallback, useEffect, useState } from 'react';
import { Alert, Anchor, Button, Card, Center, Group, Image, Loader, SegmentedControl, Stack, Text, Textarea, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import type { Absence, AbsenceState, Attachment } from '../../../../../common/absence.schemas.js';
import { LIMITS } from '../../../../../common/limits.js';
import { QueryError } from '../../../components/query-error.js';
import { formatDateTime } from '../../../lib/dates.js';
import { errorMessage, notifyError, notifySuccess } from '../../../lib/notify.js';
import { useTopic } from '../../../lib/realtime.js';
import { absencesQueryKey, attachmentBlobUrl, attachmentUrl, useAbsences, useDecideAbsence } from '../api/absences.js';
import { AbsenceStateBadge, CATEGORY_LABEL } from './absence-state-badge.js';

/** An attachment shown inline: images as <img>, PDFs in an <iframe>, both from a blob URL (the download itself is `attachment`). */
function AttachmentPreview({ absenceId, attachment }: { absenceId: string; attachment: Attachment }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!open) return;
    const ctrl = new AbortController();
    let made: string | null = null;
    attachmentBlobUrl(absenceId, attachment.id, ctrl.signal)
      .then((u) => {
        made = u;
        setUrl(u);
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setError(errorMessage(e));
      });
    return () => {
      ctrl.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [open, absenceId, attachment.id]);
  const isPdf = attachment.contentType === 'application/pdf';
  const isImage = attachment.contentType.startsWith('image/') && attachment.contentType !== 'image/heic' && attachment.contentType !== 'image/heif';
  return (
    <Stack gap={4} data-testid="absence-attachment">
      <Group gap="xs" wrap="nowrap">
        <Button size="compact-xs" variant="light" onClick={() => setOpen((o) => !o)} disabled={!isPdf && !isImage} data-testid="attachment-preview-toggle">
          {open ? 'Hide' : 'Preview'}
        </Button>
        <Anchor href={attachmentUrl(absenceId, attachment.id)} size="sm" truncate>
          {attachment.name}
        </Anchor>
        <Text size="xs" c="dimmed">
          {Math.ceil(attachment.size / 1024)} KB
        </Text>
      </Group>
      {open ? (
        error ? (
          <Text size="xs" c="red">
            {error}
          </Text>
        ) : !url ? (
          <Loader size="sm" />
        ) : isPdf ? (
          <iframe src={url} title={attachment.name} style={{ width: '100%', height: 420, border: 0 }} data-testid="attachment-pdf" />
        ) : (
          <Image src={url} alt={attachment.name} maw={480} radius="sm" data-testid="attachment-image" />
        )
      ) : null}
    </Stack>
  );
}

function ReviewCard({ absence }: { absence: Absence }) {
  const [response, setResponse] = useState('');
  const decide = useDecideAbsence();
  const send = (decision: 'approved' | 'denied', revise = false) =>
    decide.mutate(
      { id: absence.id, decision, response: response.trim() || undefined, ...(revise ? { revise: true } : {}) },
      {
        onSuccess: () => notifySuccess(`${absence.student.name}'s request is ${decision}.`),
        onError: (e) => notifyError(e, 'Could not record the decision'),
      },
    );
  return (
    <Card withBorder padding="md" data-testid="review-absence" data-absence-id={absence.id} data-state={absence.state}>
      <Stack gap={6}>
        <Group justify="space-between" wrap="nowrap">
          <Text fw={700} style={{ overflowWrap: 'anywhere' }}>
            {absence.student.name}
            {absence.student.studentNumber ? ` · ${absence.student.studentNumber}` : ''}
          </Text>
          <AbsenceStateBadge state={absence.state} />
        </Group>
        <Text size="sm">
          {absence.course.code} · {CATEGORY_LABEL[absence.category]} · {absence.sessionIds.length} session{absence.sessionIds.length === 1 ? '' : 's'}
          {absence.from ? ` · ${absence.from} – ${absence.to}` : ''} · sent {formatDateTime(absence.createdAt)}
        </Text>
        <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
          {absence.reason}
        </Text>
        {absence.attachments.map((a) => (
          <AttachmentPreview key={a.id} absenceId={absence.id} attachment={a} />
        ))}
        {absence.response ? <Text size="sm">Response: {absence.response}</Text> : null}
        {absence.state === 'pending' || absence.state === 'approved' ? (
          <Textarea
            placeholder="Response to the student (optional)"
            autosize
            minRows={1}
            maxLength={LIMITS.textMax}
            value={response}
            onChange={(e) => setResponse(e.currentTarget.value)}
            data-testid="review-response"
          />
        ) : null}
        {absence.state === 'pending' ? (
          <Group grow>
            <Button color="teal" loading={decide.isPending} onClick={() => send('approved')} data-testid="review-approve">
              Approve
            </Button>
            <Button color="red" variant="light" loading={decide.isPending} onClick={() => send('denied')} data-testid="review-deny">
              Deny
            </Button>
          </Group>
        ) : absence.state === 'approved' ? (
          <Button color="red" variant="subtle" loading={decide.isPending} onClick={() => send('denied', true)} data-testid="review-revise">
            Revise to denied (reverts the excused records)
          </Button>
        ) : null}
      </Stack>
    </Card>
  );
}

/** `/absences` for teachers (their courses) and admins (all): the review queue, live. */
export function ReviewQueue({ userId }: { userId: string }) {
  const [state, setState] = useState<AbsenceState | 'all'>('pending');
  const queryClient = useQueryClient();
  const absences = useAbsences(state === 'all' ? {} : { state });
  const onEvent = useCallback(
    (event: string) => {
      if (event === 'NOTIFICATION') void queryClient.invalidateQueries({ queryKey: absencesQueryKey });
    },
    [queryClient],
  );
  useTopic(`user:${userId}`, onEvent);
  return (
    <Stack gap="md" maw={760} data-testid="review-queue">
      <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
        Absence requests
      </Title>
      <SegmentedControl
        value={state}
        onChange={(v) => setState(v as AbsenceState | 'all')}
        data={[
          { value: 'pending', label: 'To review' },
          { value: 'approved', label: 'Approved' },
          { value: 'denied', label: 'Denied' },
          { value: 'all', label: 'All' },
        ]}
      />
      {absences.isPending ? (
        <Center py="xl">
          <Loader aria-label="Loading requests" />
        </Center>
      ) : absences.isError ? (
        <QueryError title="Could not load the requests" error={absences.error} onRetry={() => void absences.refetch()} testId="review-error" />
      ) : absences.data.length === 0 ? (
        <Alert color="gray" data-testid="review-empty">
          Nothing here.
        </Alert>
      ) : (
        absences.data.map((a) => <ReviewCard key={a.id} absence={a} />)
      )}
    </Stack>
  );
}

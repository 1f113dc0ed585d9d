import { useState } from 'react';
import { ActionIcon, Badge, Button, Center, Group, Loader, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { IconFileImport, IconSearch, IconUserMinus, IconUserPlus } from '@tabler/icons-react';
import type { CourseStudent } from '../../../../../common/course.schemas.js';
import { ConfirmModal } from '../../../components/confirm-modal.js';
import { QueryError } from '../../../components/query-error.js';
import { formatDate } from '../../../lib/dates.js';
import { notifySuccess } from '../../../lib/notify.js';
import { useRemoveStudent, useRoster } from '../api/enrollments.js';
import { EnrollModal } from './enroll-modal.js';
import { ImportEnrollmentsModal } from './import-enrollments-modal.js';

const METHOD_LABEL: Record<CourseStudent['enrollment']['method'], string> = {
  manual: 'added',
  section: 'section',
  import: 'CSV',
  self: 'self',
  link: 'link',
};

/** The course's students: search, enroll (picker, section, numbers, CSV), remove. */
export function Roster({ courseId, courseCode }: { courseId: string; courseCode: string }) {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 300);
  const roster = useRoster(courseId, q);
  const remove = useRemoveStudent(courseId);
  const [enrollOpen, enrollModal] = useDisclosure(false);
  const [importOpen, importModal] = useDisclosure(false);
  const [removing, setRemoving] = useState<CourseStudent | null>(null);
  const items = roster.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Stack gap="sm" data-testid="roster">
      <Group justify="space-between" gap="xs">
        <TextInput
          placeholder="Search the roster"
          aria-label="Search the roster"
          leftSection={<IconSearch size={16} />}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          style={{ flex: '1 1 200px' }}
          maw={360}
        />
        <Group gap="xs">
          <Button variant="default" leftSection={<IconFileImport size={18} />} onClick={importModal.open} data-testid="roster-import">
            Import CSV
          </Button>
          <Button leftSection={<IconUserPlus size={18} />} onClick={enrollModal.open} data-testid="roster-enroll">
            Enroll students
          </Button>
        </Group>
      </Group>
      {roster.isError ? <QueryError title="Could not load the roster" error={roster.error} onRetry={() => void roster.refetch()} /> : null}
      {roster.isPending ? (
        <Center py="xl">
          <Loader aria-label="Loading the roster" />
        </Center>
      ) : items.length === 0 && !roster.isError ? (
        <Text c="dimmed" ta="center" py="xl" data-testid="roster-empty">
          {q ? 'No student matches.' : 'No students yet. Enroll them one by one, a whole section, or from a CSV.'}
        </Text>
      ) : (
        <Table striped data-testid="roster-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Student</Table.Th>
              <Table.Th visibleFrom="sm">Number</Table.Th>
              <Table.Th visibleFrom="sm">Enrolled</Table.Th>
              <Table.Th w={50} aria-label="Actions" />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((s) => (
              <Table.Tr key={s.id} data-testid={`roster-row-${s.username}`}>
                <Table.Td>
                  <Text size="sm" fw={500} style={{ overflowWrap: 'anywhere' }}>
                    {s.name}
                  </Text>
                  <Text size="xs" c="dimmed" hiddenFrom="sm">
                    {s.studentNumber ?? s.username}
                  </Text>
                </Table.Td>
                <Table.Td visibleFrom="sm">{s.studentNumber ?? '—'}</Table.Td>
                <Table.Td visibleFrom="sm">
                  <Group gap={6} wrap="nowrap">
                    <Text size="sm">{formatDate(s.enrollment.enrolledAt)}</Text>
                    <Badge size="xs" variant="light" color="gray">
                      {METHOD_LABEL[s.enrollment.method]}
                    </Badge>
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Tooltip label="Remove from course">
                    <ActionIcon
                      variant="subtle"
                      color="red"
                      aria-label={`Remove ${s.name}`}
                      onClick={() => {
                        remove.reset();
                        setRemoving(s);
                      }}
                    >
                      <IconUserMinus size={18} />
                    </ActionIcon>
                  </Tooltip>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {items.length > 0 ? (
        <Group justify="space-between">
          <Text size="sm" c="dimmed" data-testid="roster-count">
            {items.length} {items.length === 1 ? 'student' : 'students'}
            {roster.hasNextPage ? ' shown' : ''}
          </Text>
          {roster.hasNextPage ? (
            <Button variant="default" onClick={() => void roster.fetchNextPage()} loading={roster.isFetchingNextPage}>
              Load more
            </Button>
          ) : null}
        </Group>
      ) : null}
      <EnrollModal courseId={courseId} opened={enrollOpen} onClose={enrollModal.close} />
      <ImportEnrollmentsModal opened={importOpen} onClose={importModal.close} courseCode={courseCode} />
      <ConfirmModal
        opened={removing !== null}
        title="Remove student"
        confirmLabel="Remove"
        loading={remove.isPending}
        error={remove.error}
        onClose={() => setRemoving(null)}
        onConfirm={() =>
          removing &&
          remove.mutate(removing.id, {
            onSuccess: () => {
              notifySuccess(`${removing.name} is no longer enrolled.`);
              setRemoving(null);
            },
          })
        }
      >
        Remove <b>{removing?.name}</b> from {courseCode}? Their attendance records so far are kept.
      </ConfirmModal>
    </Stack>
  );
}

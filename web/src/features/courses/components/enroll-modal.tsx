import { useEffect, useState } from 'react';
import { Alert, Badge, Button, Center, Checkbox, CloseButton, Group, Loader, Modal, ScrollArea, Select, Stack, Tabs, Text, Textarea, TextInput } from '@mantine/core';
import { useDebouncedValue, useMediaQuery } from '@mantine/hooks';
import { IconHash, IconSearch, IconUsersGroup, IconUser } from '@tabler/icons-react';
import type { EnrollInput, EnrollResult } from '../../../../../common/course.schemas.js';
import type { User } from '../../../../../common/user.schemas.js';
import { QueryError } from '../../../components/query-error.js';
import { errorMessage } from '../../../lib/notify.js';
import { useEnroll, useRoster } from '../api/enrollments.js';
import { useSectionOptions, useStudentSearch } from '../api/lookups.js';

function ResultAlert({ result }: { result: EnrollResult }) {
  return (
    <Alert color={result.notFound.length > 0 ? 'yellow' : 'teal'} title="Enrollment done" data-testid="enroll-result">
      <Text size="sm">
        {result.enrolled} newly enrolled{result.alreadyEnrolled > 0 ? `, ${result.alreadyEnrolled} already enrolled` : ''}.
      </Text>
      {result.notFound.length > 0 ? (
        <Text size="sm" mt={4}>
          Not found (no active student): {result.notFound.join(', ')}
        </Text>
      ) : null}
    </Alert>
  );
}

function StudentPicker({ courseId, selected, onChange }: { courseId: string; selected: User[]; onChange: (users: User[]) => void }) {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 250);
  const results = useStudentSearch(q);
  // The course's students matching the same search: shown as already enrolled, not offered again.
  const roster = useRoster(courseId, q);
  const enrolled = new Set(roster.data?.pages.flatMap((p) => p.items.map((s) => s.id)) ?? []);
  const isSelected = (u: User) => selected.some((s) => s.id === u.id);
  const toggle = (u: User) => onChange(isSelected(u) ? selected.filter((s) => s.id !== u.id) : [...selected, u]);

  return (
    <Stack gap="xs">
      <TextInput
        placeholder="Search students by name, username or number"
        aria-label="Search students"
        leftSection={<IconSearch size={16} />}
        rightSection={results.isFetching ? <Loader size={14} /> : null}
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        data-testid="enroll-student-search"
      />
      {selected.length > 0 ? (
        <Group gap={6}>
          {selected.map((u) => (
            <Badge
              key={u.id}
              variant="light"
              pr={3}
              rightSection={<CloseButton size="xs" aria-label={`Unselect ${u.name}`} onClick={() => toggle(u)} />}
            >
              {u.name}
            </Badge>
          ))}
        </Group>
      ) : null}
      {results.isError ? <QueryError title="Could not search students" error={results.error} onRetry={() => void results.refetch()} /> : null}
      <ScrollArea.Autosize mah={260}>
        {results.isPending ? (
          <Center py="md">
            <Loader size="sm" aria-label="Searching" />
          </Center>
        ) : (results.data?.items.length ?? 0) === 0 ? (
          <Text size="sm" c="dimmed" ta="center" py="md">
            No student matches.
          </Text>
        ) : (
          <Stack gap={4}>
            {results.data?.items.map((u) => (
              <Checkbox
                key={u.id}
                checked={enrolled.has(u.id) || isSelected(u)}
                disabled={enrolled.has(u.id)}
                onChange={() => toggle(u)}
                label={`${u.name}${u.studentNumber ? ` · ${u.studentNumber}` : ''}`}
                description={enrolled.has(u.id) ? `${u.username} · already enrolled` : u.username}
                data-testid={`enroll-pick-${u.username}`}
                data-enrolled={enrolled.has(u.id) ? 'true' : 'false'}
              />
            ))}
          </Stack>
        )}
      </ScrollArea.Autosize>
    </Stack>
  );
}

const parseNumbers = (text: string) => [...new Set(text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean))];

/** Enroll students in a course: picked by search, a whole section, or a list of student numbers. */
export function EnrollModal({ courseId, opened, onClose }: { courseId: string; opened: boolean; onClose: () => void }) {
  const enroll = useEnroll(courseId);
  const sections = useSectionOptions();
  const fullScreen = useMediaQuery('(max-width: 36em)', false, { getInitialValueInEffect: false });
  const [tab, setTab] = useState<string | null>('students');
  const [picked, setPicked] = useState<User[]>([]);
  const [sectionId, setSectionId] = useState<string | null>(null);
  const [numbers, setNumbers] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const { reset } = enroll;

  useEffect(() => {
    if (!opened) return;
    setPicked([]);
    setSectionId(null);
    setNumbers('');
    setLocalError(null);
    reset();
  }, [opened, reset]);

  function submit() {
    setLocalError(null);
    let input: EnrollInput;
    if (tab === 'students') {
      if (picked.length === 0) return setLocalError('Pick at least one student.');
      input = { studentIds: picked.map((u) => u.id) };
    } else if (tab === 'section') {
      if (!sectionId) return setLocalError('Choose a section.');
      input = { sectionId };
    } else {
      const list = parseNumbers(numbers);
      if (list.length === 0) return setLocalError('Type or paste at least one student number.');
      input = { studentNumbers: list };
    }
    enroll.mutate(input, {
      onSuccess: () => {
        setPicked([]);
        setNumbers('');
      },
    });
  }

  return (
    <Modal opened={opened} onClose={onClose} title="Enroll students" size="lg" fullScreen={fullScreen} closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack gap="sm" data-testid="enroll-modal">
        <Tabs value={tab} onChange={(v) => { setTab(v); setLocalError(null); }}>
          <Tabs.List grow>
            <Tabs.Tab value="students" leftSection={<IconUser size={16} />} data-testid="enroll-tab-students">
              Students
            </Tabs.Tab>
            <Tabs.Tab value="section" leftSection={<IconUsersGroup size={16} />} data-testid="enroll-tab-section">
              Section
            </Tabs.Tab>
            <Tabs.Tab value="numbers" leftSection={<IconHash size={16} />} data-testid="enroll-tab-numbers">
              Numbers
            </Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="students" pt="sm">
            <StudentPicker courseId={courseId} selected={picked} onChange={setPicked} />
          </Tabs.Panel>
          <Tabs.Panel value="section" pt="sm">
            <Stack gap="xs">
              <Text size="sm">Everyone currently in the section is enrolled. Students who join the section later are not added automatically.</Text>
              {sections.isError ? <QueryError title="Could not load sections" error={sections.error} onRetry={() => void sections.refetch()} /> : null}
              <Select
                label="Section"
                placeholder={sections.isPending ? 'Loading…' : 'Choose a section'}
                data={sections.data ?? []}
                searchable
                value={sectionId}
                onChange={setSectionId}
                nothingFoundMessage="No section matches"
                data-testid="enroll-section"
                comboboxProps={{ withinPortal: true }}
              />
            </Stack>
          </Tabs.Panel>
          <Tabs.Panel value="numbers" pt="sm">
            <Textarea
              label="Student numbers"
              description="Separated by spaces, commas or new lines"
              autosize
              minRows={4}
              maxRows={10}
              value={numbers}
              onChange={(e) => setNumbers(e.currentTarget.value)}
              data-testid="enroll-numbers"
            />
          </Tabs.Panel>
        </Tabs>
        {localError ? <Alert color="red">{localError}</Alert> : null}
        {enroll.isError ? (
          <Alert color="red" title="Could not enroll" data-testid="enroll-error">
            {errorMessage(enroll.error)}
          </Alert>
        ) : null}
        {enroll.data ? <ResultAlert result={enroll.data} /> : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Close
          </Button>
          <Button onClick={submit} loading={enroll.isPending} data-testid="enroll-submit">
            Enroll
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

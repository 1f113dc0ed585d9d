import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { Anchor, Badge, Button, Center, Group, Loader, Stack, Tabs, Text, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { IconArrowLeft, IconCalendarEvent, IconChartBar, IconPencil, IconTrash, IconUsers } from '@tabler/icons-react';
import { ConfirmModal } from '../../../components/confirm-modal.js';
import { QueryError } from '../../../components/query-error.js';
import { ApiError } from '../../../lib/api-client.js';
import { notifySuccess } from '../../../lib/notify.js';
import { useCourse, useDeleteCourse } from '../api/courses.js';
import { useDepartmentOptions } from '../api/lookups.js';
import { CourseFormModal } from './course-form-modal.js';
import { CourseReport } from './course-report.js';
import { Roster } from './roster.js';
import { SessionsPanel } from './sessions-panel.js';

const TABS = ['sessions', 'students', 'report'] as const;
type Tab = (typeof TABS)[number];

/** A course page for its teachers and admins: sessions, roster, attendance report, and the course's settings. */
export function CourseDetail({ courseId, isAdmin }: { courseId: string; isAdmin: boolean }) {
  const course = useCourse(courseId);
  const departments = useDepartmentOptions();
  const remove = useDeleteCourse();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const tab: Tab = TABS.find((t) => t === params.get('tab')) ?? 'sessions';
  const [editOpen, setEditOpen] = useState(false);
  const [deleteOpen, setDeleteOpen] = useState(false);
  useDocumentTitle(course.data ? `${course.data.code} · Rollbook` : 'Course · Rollbook');

  const back = (
    <Anchor component={Link} to="/courses" size="sm">
      <Group gap={4} component="span">
        <IconArrowLeft size={14} /> All courses
      </Group>
    </Anchor>
  );

  if (course.isPending) {
    return (
      <Center py="xl">
        <Loader aria-label="Loading the course" />
      </Center>
    );
  }
  if (course.isError) {
    const missing = course.error instanceof ApiError && (course.error.status === 404 || course.error.status === 403);
    return (
      <Stack gap="sm" maw={640}>
        {back}
        <QueryError
          title={missing ? 'Course not found' : 'Could not load the course'}
          error={missing ? new Error('This course does not exist, or it is not one of yours.') : course.error}
          onRetry={missing ? undefined : () => void course.refetch()}
          testId="course-error"
        />
      </Stack>
    );
  }

  const c = course.data;
  const department = departments.data?.find((d) => d.value === c.departmentId)?.label;

  return (
    <Stack gap="md" data-testid="course-page">
      {back}
      <Group justify="space-between" align="flex-start" gap="xs">
        <Stack gap={4} style={{ minWidth: 0 }}>
          <Title order={1} fz={{ base: 'h2', sm: 'h1' }} style={{ overflowWrap: 'anywhere' }}>
            {c.code} · {c.name}
          </Title>
          <Group gap={6}>
            {c.term ? <Badge variant="light">{c.term}</Badge> : null}
            {department ? <Badge variant="light" color="gray">{department}</Badge> : null}
            {c.yearOfStudy ? <Badge variant="light" color="gray">Year {c.yearOfStudy}</Badge> : null}
            <Badge variant="outline" color="gray">
              Threshold {c.thresholdPercent}%
            </Badge>
            <Badge variant="outline" color="gray">
              Late after {c.lateAfterMinutes} min
            </Badge>
          </Group>
          {c.description ? (
            <Text size="sm" c="dimmed" style={{ whiteSpace: 'pre-wrap' }}>
              {c.description}
            </Text>
          ) : null}
        </Stack>
        <Group gap="xs">
          <Button variant="default" leftSection={<IconPencil size={16} />} onClick={() => setEditOpen(true)} data-testid="course-edit">
            Edit
          </Button>
          {isAdmin ? (
            <Button
              variant="subtle"
              color="red"
              leftSection={<IconTrash size={16} />}
              onClick={() => {
                remove.reset();
                setDeleteOpen(true);
              }}
              data-testid="course-delete"
            >
              Delete
            </Button>
          ) : null}
        </Group>
      </Group>

      <Tabs value={tab} onChange={(v) => setParams(v && v !== 'sessions' ? { tab: v } : {}, { replace: true })} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="sessions" leftSection={<IconCalendarEvent size={16} />} data-testid="course-tab-sessions">
            Sessions
          </Tabs.Tab>
          <Tabs.Tab value="students" leftSection={<IconUsers size={16} />} data-testid="course-tab-students">
            Students
          </Tabs.Tab>
          <Tabs.Tab value="report" leftSection={<IconChartBar size={16} />} data-testid="course-tab-report">
            Report
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="sessions" pt="md">
          <SessionsPanel courseId={c.id} />
        </Tabs.Panel>
        <Tabs.Panel value="students" pt="md">
          <Roster courseId={c.id} courseCode={c.code} />
        </Tabs.Panel>
        <Tabs.Panel value="report" pt="md">
          <CourseReport courseId={c.id} />
        </Tabs.Panel>
      </Tabs>

      <CourseFormModal opened={editOpen} onClose={() => setEditOpen(false)} course={c} canPickTeachers={isAdmin} />
      <ConfirmModal
        opened={deleteOpen}
        title="Delete course"
        confirmLabel="Delete course"
        loading={remove.isPending}
        error={remove.error}
        onClose={() => setDeleteOpen(false)}
        onConfirm={() =>
          remove.mutate(c.id, {
            onSuccess: () => {
              notifySuccess(`${c.code} is deleted.`);
              void navigate('/courses', { replace: true });
            },
          })
        }
      >
        Delete <b>{c.code}</b> with its roster and scheduled sessions? A course that has held or cancelled sessions cannot be deleted.
      </ConfirmModal>
    </Stack>
  );
}

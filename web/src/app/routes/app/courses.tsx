import { useState } from 'react';
import { useNavigate } from 'react-router';
import { Button, Group, Stack, Title } from '@mantine/core';
import { useDisclosure, useDocumentTitle } from '@mantine/hooks';
import { IconFileImport, IconPlus } from '@tabler/icons-react';
import { CourseFormModal } from '../../../features/courses/components/course-form-modal.js';
import { CoursesList } from '../../../features/courses/components/courses-list.js';
import { ImportEnrollmentsModal } from '../../../features/courses/components/import-enrollments-modal.js';
import { useUser } from '../../../lib/auth.js';

/** `/courses`: admins see every course, teachers the ones they teach. */
export function CoursesRoute() {
  useDocumentTitle('Courses · Rollbook');
  const { data: user } = useUser();
  const navigate = useNavigate();
  const [formOpen, setFormOpen] = useState(false);
  const [importOpen, importModal] = useDisclosure(false);
  const isAdmin = user?.role === 'admin';

  return (
    <Stack gap="md" data-testid="courses-page">
      <Group justify="space-between" gap="xs">
        <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
          {isAdmin ? 'Courses' : 'My courses'}
        </Title>
        <Group gap="xs">
          <Button variant="default" leftSection={<IconFileImport size={18} />} onClick={importModal.open} data-testid="courses-import-enrollments">
            Import enrollments
          </Button>
          <Button leftSection={<IconPlus size={18} />} onClick={() => setFormOpen(true)} data-testid="new-course">
            New course
          </Button>
        </Group>
      </Group>
      <CoursesList
        emptyHint={isAdmin ? 'No courses yet. Create the first one.' : 'You teach no courses yet. Create one, or ask an administrator to add you to one.'}
      />
      <CourseFormModal
        opened={formOpen}
        onClose={() => setFormOpen(false)}
        course={null}
        canPickTeachers={isAdmin}
        onSaved={(c) => void navigate(`/courses/${c.id}`)}
      />
      <ImportEnrollmentsModal opened={importOpen} onClose={importModal.close} />
    </Stack>
  );
}

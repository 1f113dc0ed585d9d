import { Link } from 'react-router';
import { Button, Group } from '@mantine/core';
import { IconBook, IconBuilding, IconUsers, IconUsersGroup } from '@tabler/icons-react';
import { Welcome } from './welcome.js';

export function AdminHome({ name }: { name: string }) {
  return (
    <>
      <Welcome name={name} testId="admin-home">
        You are an administrator. Manage the people who use Rollbook, the departments and sections they belong to, and the
        courses they teach and take.
      </Welcome>
      <Group mt="md" gap="xs">
        <Button component={Link} to="/admin/users" leftSection={<IconUsers size={18} />}>
          Manage users
        </Button>
        <Button component={Link} to="/admin/departments" variant="default" leftSection={<IconBuilding size={18} />}>
          Departments
        </Button>
        <Button component={Link} to="/admin/sections" variant="default" leftSection={<IconUsersGroup size={18} />}>
          Sections
        </Button>
        <Button component={Link} to="/courses" variant="default" leftSection={<IconBook size={18} />}>
          Courses
        </Button>
      </Group>
    </>
  );
}

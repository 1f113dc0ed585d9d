import { Link } from 'react-router';
import { Button, Group } from '@mantine/core';
import { IconUsers } from '@tabler/icons-react';
import { Welcome } from './welcome.js';

export function AdminHome({ name }: { name: string }) {
  return (
    <>
      <Welcome name={name} testId="admin-home">
        You are an administrator. Manage the people who use Rollbook — create accounts one by one or
        import them from a CSV file.
      </Welcome>
      <Group mt="md">
        <Button component={Link} to="/admin/users" leftSection={<IconUsers size={18} />}>
          Manage users
        </Button>
      </Group>
    </>
  );
}

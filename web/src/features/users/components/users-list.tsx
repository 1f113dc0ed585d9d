import { useState } from 'react';
import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Card,
  Center,
  Group,
  Loader,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { useDebouncedValue, useMediaQuery } from '@mantine/hooks';
import { IconMailForward, IconPencil, IconSearch, IconUserOff } from '@tabler/icons-react';
import type { User } from '../../../../../common/user.schemas.js';
import { errorMessage } from '../../../lib/notify.js';
import { useUsers, type UsersFilter } from '../api/get-users.js';

const ROLE_COLORS: Record<User['role'], string> = { admin: 'grape', teacher: 'blue', student: 'teal' };

interface RowActions {
  onEdit: (user: User) => void;
  onDeactivate: (user: User) => void;
  /** A link for the user to choose a password (admins). */
  onInvite?: (user: User) => void;
}

function numberOf(user: User): string {
  return user.studentNumber ?? user.staffNumber ?? '';
}

function Actions({ user, onEdit, onDeactivate, onInvite }: RowActions & { user: User }) {
  return (
    <Group gap={4} wrap="nowrap" justify="flex-end">
      {user.active && onInvite ? (
        <Tooltip label="Invite (link to choose a password)">
          <ActionIcon variant="subtle" aria-label={`Invite ${user.username}`} onClick={() => onInvite(user)} data-testid={`invite-${user.username}`}>
            <IconMailForward size={18} />
          </ActionIcon>
        </Tooltip>
      ) : null}
      <Tooltip label="Edit">
        <ActionIcon variant="subtle" aria-label={`Edit ${user.username}`} onClick={() => onEdit(user)}>
          <IconPencil size={18} />
        </ActionIcon>
      </Tooltip>
      {user.active ? (
        <Tooltip label="Deactivate">
          <ActionIcon
            variant="subtle"
            color="red"
            aria-label={`Deactivate ${user.username}`}
            onClick={() => onDeactivate(user)}
          >
            <IconUserOff size={18} />
          </ActionIcon>
        </Tooltip>
      ) : null}
    </Group>
  );
}

function RoleBadge({ role }: { role: User['role'] }) {
  return (
    <Badge variant="light" color={ROLE_COLORS[role]}>
      {role}
    </Badge>
  );
}

function UsersTable({ users, ...actions }: RowActions & { users: User[] }) {
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table striped highlightOnHover verticalSpacing="xs" data-testid="users-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Username</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Email</Table.Th>
            <Table.Th>Number</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th aria-label="Actions" />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {users.map((user) => (
            <Table.Tr key={user.id} data-testid={`user-row-${user.username}`}>
              <Table.Td fw={500}>{user.name}</Table.Td>
              <Table.Td>{user.username}</Table.Td>
              <Table.Td>
                <RoleBadge role={user.role} />
              </Table.Td>
              <Table.Td>{user.email ?? '—'}</Table.Td>
              <Table.Td>{numberOf(user) || '—'}</Table.Td>
              <Table.Td>
                {user.active ? (
                  <Badge variant="dot" color="teal">
                    active
                  </Badge>
                ) : (
                  <Badge variant="dot" color="gray">
                    inactive
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>
                <Actions user={user} {...actions} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** On a phone each user is a card: a seven-column table does not fit 390px. */
function UsersCards({ users, ...actions }: RowActions & { users: User[] }) {
  return (
    <Stack gap="xs" data-testid="users-cards">
      {users.map((user) => (
        <Card key={user.id} withBorder padding="sm" data-testid={`user-row-${user.username}`}>
          <Group justify="space-between" wrap="nowrap" align="flex-start">
            <div style={{ minWidth: 0 }}>
              <Text fw={600} truncate>
                {user.name}
              </Text>
              <Text size="sm" c="dimmed" truncate>
                {user.username}
                {numberOf(user) ? ` · ${numberOf(user)}` : ''}
              </Text>
              {user.email ? (
                <Text size="sm" c="dimmed" truncate>
                  {user.email}
                </Text>
              ) : null}
              <Group gap={6} mt={6}>
                <RoleBadge role={user.role} />
                {user.active ? null : (
                  <Badge variant="dot" color="gray">
                    inactive
                  </Badge>
                )}
              </Group>
            </div>
            <Actions user={user} {...actions} />
          </Group>
        </Card>
      ))}
    </Stack>
  );
}

/** Search, filters and the paged list of users. */
export function UsersList(actions: RowActions) {
  const [search, setSearch] = useState('');
  const [debouncedSearch] = useDebouncedValue(search, 300);
  const [role, setRole] = useState<UsersFilter['role']>('all');
  const [active, setActive] = useState<UsersFilter['active']>('true');
  const phone = useMediaQuery('(max-width: 48em)', false, { getInitialValueInEffect: false });

  const filter: UsersFilter = { role, q: debouncedSearch, active };
  const users = useUsers(filter);
  const items = users.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Stack gap="sm">
      <Stack gap="xs">
        <TextInput
          placeholder="Search by name, username, email or number"
          aria-label="Search users"
          leftSection={<IconSearch size={16} />}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          data-testid="users-search"
          rightSection={users.isFetching && !users.isFetchingNextPage ? <Loader size={14} /> : null}
        />
        <Group gap="xs" wrap="wrap">
          <SegmentedControl
            aria-label="Role"
            size="xs"
            value={role}
            onChange={(v) => setRole(v as UsersFilter['role'])}
            data={[
              { label: 'All', value: 'all' },
              { label: 'Students', value: 'student' },
              { label: 'Teachers', value: 'teacher' },
              { label: 'Admins', value: 'admin' },
            ]}
            data-testid="users-role-filter"
          />
          <Select
            aria-label="Status"
            size="xs"
            w={130}
            allowDeselect={false}
            value={active}
            onChange={(v) => setActive((v ?? 'true') as UsersFilter['active'])}
            data={[
              { label: 'Active', value: 'true' },
              { label: 'Inactive', value: 'false' },
              { label: 'All statuses', value: 'all' },
            ]}
            data-testid="users-active-filter"
          />
        </Group>
      </Stack>

      {users.isError ? (
        <Alert color="red" title="Could not load users" data-testid="users-error">
          <Stack gap="xs" align="flex-start">
            <Text size="sm">{errorMessage(users.error)}</Text>
            <Button size="xs" variant="light" color="red" onClick={() => void users.refetch()}>
              Try again
            </Button>
          </Stack>
        </Alert>
      ) : null}

      {users.isPending ? (
        <Center py="xl">
          <Loader aria-label="Loading users" />
        </Center>
      ) : items.length === 0 && !users.isError ? (
        <Text c="dimmed" ta="center" py="xl" data-testid="users-empty">
          {debouncedSearch || role !== 'all' || active !== 'true' ? 'No users match these filters.' : 'No users yet.'}
        </Text>
      ) : phone ? (
        <UsersCards users={items} {...actions} />
      ) : (
        <UsersTable users={items} {...actions} />
      )}

      {items.length > 0 ? (
        <Group justify="space-between">
          <Text size="sm" c="dimmed" data-testid="users-count">
            Showing {items.length} {items.length === 1 ? 'user' : 'users'}
          </Text>
          {users.hasNextPage ? (
            <Button
              variant="default"
              onClick={() => void users.fetchNextPage()}
              loading={users.isFetchingNextPage}
              data-testid="users-load-more"
            >
              Load more
            </Button>
          ) : null}
        </Group>
      ) : null}
    </Stack>
  );
}

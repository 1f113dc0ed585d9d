import { useState } from 'react';
import { Button, Group, Stack, Title } from '@mantine/core';
import { useDisclosure, useDocumentTitle } from '@mantine/hooks';
import { IconFileImport, IconPlus } from '@tabler/icons-react';
import type { User } from '../../../../../../common/user.schemas.js';
import type { AccountLink } from '../../../../../../common/account.schemas.js';
import { useInviteUser } from '../../../../features/users/api/invite-user.js';
import { DeactivateUserModal } from '../../../../features/users/components/deactivate-user-modal.js';
import { InvitationModal } from '../../../../features/users/components/invitation-modal.js';
import { ImportUsersModal } from '../../../../features/users/components/import-users-modal.js';
import { UserFormModal } from '../../../../features/users/components/user-form-modal.js';
import { UsersList } from '../../../../features/users/components/users-list.js';
import { notifyError } from '../../../../lib/notify.js';

export function UsersRoute() {
  useDocumentTitle('Users · Rollbook');
  const [formOpened, form] = useDisclosure(false);
  const [importOpened, importModal] = useDisclosure(false);
  const [editing, setEditing] = useState<User | null>(null);
  const [deactivating, setDeactivating] = useState<User | null>(null);
  const [invitation, setInvitation] = useState<{ user: User; link: AccountLink } | null>(null);
  const invite = useInviteUser();

  return (
    <Stack gap="md" data-testid="users-page">
      <Group justify="space-between" gap="xs">
        <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
          Users
        </Title>
        <Group gap="xs">
          <Button variant="default" leftSection={<IconFileImport size={18} />} onClick={importModal.open} data-testid="import-users">
            Import CSV
          </Button>
          <Button
            leftSection={<IconPlus size={18} />}
            onClick={() => {
              setEditing(null);
              form.open();
            }}
            data-testid="new-user"
          >
            New user
          </Button>
        </Group>
      </Group>
      <UsersList
        onEdit={(user) => {
          setEditing(user);
          form.open();
        }}
        onDeactivate={setDeactivating}
        onInvite={(user) =>
          invite.mutate(user.id, {
            onSuccess: (link) => setInvitation({ user, link }),
            onError: (error) => notifyError(error),
          })
        }
      />
      <UserFormModal opened={formOpened} onClose={form.close} user={editing} onInvitation={(user, link) => setInvitation({ user, link })} />
      <InvitationModal user={invitation?.user ?? null} link={invitation?.link ?? null} onClose={() => setInvitation(null)} />
      <DeactivateUserModal user={deactivating} onClose={() => setDeactivating(null)} />
      <ImportUsersModal opened={importOpened} onClose={importModal.close} />
    </Stack>
  );
}

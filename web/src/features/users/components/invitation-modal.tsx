import { Button, CopyButton, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import type { AccountLink } from '../../../../../common/account.schemas.js';
import type { User } from '../../../../../common/user.schemas.js';
import { formatDateTime } from '../../../lib/dates.js';

/** Shows an invitation link for the admin to hand over (it was also mailed if the user has an email). */
export function InvitationModal({ user, link, onClose }: { user: User | null; link: AccountLink | null; onClose: () => void }) {
  return (
    <Modal opened={user !== null && link !== null} onClose={onClose} title={user ? `Invitation for ${user.name}` : 'Invitation'}>
      {user && link ? (
        <Stack gap="sm" data-testid="invitation">
          <Text size="sm">
            With this link {user.name} chooses a password and can then sign in as <b>{user.username}</b>. It works once, until{' '}
            {formatDateTime(link.expiresAt)}.{user.email ? ` It was also mailed to ${user.email}.` : ''}
          </Text>
          <TextInput label="Link" value={link.url} readOnly data-testid="invitation-url" onFocus={(e) => e.currentTarget.select()} />
          <Group justify="flex-end">
            <CopyButton value={link.url}>
              {({ copied, copy }) => (
                <Button variant="light" onClick={copy}>
                  {copied ? 'Copied' : 'Copy link'}
                </Button>
              )}
            </CopyButton>
            <Button onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      ) : null}
    </Modal>
  );
}

import { Badge, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { PasswordForm } from '../../../features/profile/components/password-form.js';
import { ProfileForm } from '../../../features/profile/components/profile-form.js';
import { useUser } from '../../../lib/auth.js';

export function ProfileRoute() {
  useDocumentTitle('Profile · Rollbook');
  const { data: user } = useUser();
  if (!user) return null;
  const number = user.studentNumber ?? user.staffNumber;
  return (
    <Stack gap="md" maw={960} data-testid="profile-page">
      <div>
        <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
          Profile
        </Title>
        <Group gap="xs" mt={4}>
          <Text c="dimmed">{user.username}</Text>
          <Badge variant="light">{user.role}</Badge>
          {number ? (
            <Text c="dimmed" size="sm">
              {user.studentNumber ? 'Student number' : 'Staff number'} {number}
            </Text>
          ) : null}
        </Group>
      </div>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <ProfileForm key={user.id} user={user} />
        <PasswordForm />
      </SimpleGrid>
    </Stack>
  );
}

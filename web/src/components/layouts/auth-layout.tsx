import type { ReactNode } from 'react';
import { Center, Group, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconChecklist } from '@tabler/icons-react';
import { CANVAS_VAR } from '../../lib/colors.js';

/** The centred card the sign-in, sign-up and setup pages share. */
export function AuthLayout({ title, subtitle, children }: { title: string; subtitle?: string; children: ReactNode }) {
  return (
    <Center mih="100dvh" p="md" bg={`var(${CANVAS_VAR})`}>
      <Stack w="100%" maw={420} gap="lg">
        <Group justify="center" gap="xs">
          <ThemeIcon size="lg" radius="md">
            <IconChecklist size={22} />
          </ThemeIcon>
          <Text fw={700} fz="xl">
            Rollbook
          </Text>
        </Group>
        <Paper withBorder shadow="sm" p={{ base: 'md', xs: 'xl' }} radius="md">
          <Stack gap="md">
            <div>
              <Title order={2} fz="h3">
                {title}
              </Title>
              {subtitle ? (
                <Text c="dimmed" size="sm" mt={4}>
                  {subtitle}
                </Text>
              ) : null}
            </div>
            {children}
          </Stack>
        </Paper>
      </Stack>
    </Center>
  );
}

import { Card, Text } from '@mantine/core';

/** One headline figure of a report (students, held sessions, average, below threshold). */
export function StatCard({ label, value, color, testId }: { label: string; value: string | number; color?: string; testId: string }) {
  return (
    <Card withBorder padding="sm" data-testid={testId} data-value={value}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text fw={700} fz="xl" c={color}>
        {value}
      </Text>
    </Card>
  );
}

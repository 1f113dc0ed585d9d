import { Anchor, Badge, Group, Text } from '@mantine/core';
import { Link } from 'react-router';
import { useSessionAbsences } from '../api/get-absences.js';

const COLORS: Record<string, string> = { pending: 'yellow', approved: 'teal', denied: 'red' };

/** The student's absence requests for this session, so a teacher sees them where they mark the record. */
export function RecordAbsences({ sessionId, studentId }: { sessionId: string; studentId: string }) {
  const absences = useSessionAbsences(sessionId, studentId);
  if (!absences.data || absences.data.length === 0) return null;
  return (
    <>
      {absences.data.map((a) => (
        <Group key={a.id} gap="xs" wrap="nowrap" data-testid="record-absence" data-state={a.state}>
          <Badge color={COLORS[a.state] ?? 'gray'} variant="light">
            absence request · {a.state}
          </Badge>
          <Text size="sm" truncate style={{ flex: 1 }}>
            {a.reason}
          </Text>
          <Anchor component={Link} to="/absences" size="sm">
            Review
          </Anchor>
        </Group>
      ))}
    </>
  );
}

import { useState } from 'react';
import { Button, Paper, Stack, Text, Title } from '@mantine/core';
import type { CheckinResult } from '../api/check-in.js';
import { CheckinSuccess } from './checkin-success.js';
import { CodeCheckinForm } from './code-checkin-form.js';

/** `/checkin`: the student types the code on the screen; the code alone finds the session. */
export function StudentCheckin() {
  const [result, setResult] = useState<CheckinResult | null>(null);
  // A new form per attempt, so "check in again" starts empty.
  const [attempt, setAttempt] = useState(0);

  return (
    <Stack gap="md" maw={480} mx="auto" w="100%" data-testid="checkin-page">
      <div>
        <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
          Check in
        </Title>
        <Text c="dimmed">Type the code your teacher shows, or scan the QR with your camera.</Text>
      </div>
      {result ? (
        <CheckinSuccess result={result}>
          <Button
            variant="light"
            mt="sm"
            onClick={() => {
              setResult(null);
              setAttempt((n) => n + 1);
            }}
            data-testid="checkin-again"
          >
            Check in to another session
          </Button>
        </CheckinSuccess>
      ) : (
        <Paper withBorder p={{ base: 'md', sm: 'lg' }} radius="md">
          <CodeCheckinForm key={attempt} onCheckedIn={setResult} />
        </Paper>
      )}
    </Stack>
  );
}

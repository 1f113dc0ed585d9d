import { useState, type FormEvent } from 'react';
import { Button, Stack, Text, TextInput } from '@mantine/core';
import { currentPosition, type Position } from '../../../lib/geolocation.js';
import type { CheckinResult } from '../api/check-in.js';
import { useLinkCheckIn } from '../api/link-check-in.js';
import { describeCheckinError, type CheckinProblem } from './checkin-messages.js';
import { CheckinProblemAlert } from './checkin-problem.js';
import { normaliseCode } from './code-checkin-form.js';

interface LinkCheckinFormProps {
  sessionId: string;
  /** The QR's token; without it the student types the code from the screen. */
  token: string | null;
  wantsLocation: boolean;
  onCheckedIn: (result: CheckinResult) => void;
}

/** Check-in without an account: student number and name (and the code when the link has none). */
export function LinkCheckinForm({ sessionId, token, wantsLocation, onCheckedIn }: LinkCheckinFormProps) {
  const linkCheckIn = useLinkCheckIn();
  const [studentNumber, setStudentNumber] = useState('');
  const [name, setName] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<CheckinProblem | null>(null);
  const [missing, setMissing] = useState<Record<string, string>>({});

  async function submit(event: FormEvent) {
    event.preventDefault();
    const errors: Record<string, string> = {};
    if (!studentNumber.trim()) errors.studentNumber = 'Type your student number';
    if (!name.trim()) errors.name = 'Type your full name';
    if (!token && code.length !== 6) errors.code = 'Type the 6 characters shown on the screen';
    setMissing(errors);
    if (Object.keys(errors).length > 0) return;
    setProblem(null);
    setBusy(true);
    let location: Position | undefined;
    if (wantsLocation) {
      // The server decides what a missing location means (flag or refuse); try, but do not insist here.
      location = await currentPosition().catch(() => undefined);
    }
    linkCheckIn.mutate(
      { sessionId, code: token ?? code, studentNumber: studentNumber.trim(), name: name.trim(), location },
      {
        onSuccess: onCheckedIn,
        onError: (error) => setProblem(describeCheckinError(error, token ? 'qr' : 'typed', location !== undefined)),
        onSettled: () => setBusy(false),
      },
    );
  }

  return (
    <form onSubmit={(e) => void submit(e)} noValidate data-testid="link-checkin-form">
      <Stack gap="md">
        <Text size="sm" c="dimmed">
          Check in with your student number and name — no sign-in needed.
          {wantsLocation ? ' Your browser will ask for your location: this session checks that you are in the classroom.' : ''}
        </Text>
        {problem ? <CheckinProblemAlert problem={problem} /> : null}
        <TextInput
          label="Student number"
          value={studentNumber}
          onChange={(e) => setStudentNumber(e.currentTarget.value)}
          error={missing.studentNumber}
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          size="lg"
          required
          data-testid="link-student-number"
        />
        <TextInput
          label="Full name"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={missing.name}
          autoComplete="name"
          size="lg"
          required
          data-testid="link-name"
        />
        {token ? null : (
          <TextInput
            label="Code on the screen"
            value={code}
            onChange={(e) => setCode(normaliseCode(e.currentTarget.value))}
            error={missing.code}
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            size="lg"
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', letterSpacing: '0.25em', fontWeight: 700 } }}
            required
            data-testid="link-code"
          />
        )}
        <Button type="submit" size="xl" fullWidth loading={busy} data-testid="link-submit">
          Check in
        </Button>
      </Stack>
    </form>
  );
}

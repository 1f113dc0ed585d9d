import { useState, type FormEvent } from 'react';
import { Button, Checkbox, Stack, TextInput } from '@mantine/core';
import { IconCurrentLocation } from '@tabler/icons-react';
import { currentPosition, type Position } from '../../../lib/geolocation.js';
import { errorMessage } from '../../../lib/notify.js';
import { useCheckIn, type CheckinResult } from '../api/check-in.js';
import { describeCheckinError, type CheckinProblem } from './checkin-messages.js';
import { CheckinProblemAlert } from './checkin-problem.js';

export const CODE_LENGTH = 6;

/** What a student typed, as the server reads it: upper case, no spaces or dashes. */
export function normaliseCode(raw: string): string {
  return raw
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '')
    .slice(0, CODE_LENGTH);
}

interface CodeCheckinFormProps {
  /** Limits the code to one session (the link page); otherwise the code alone finds it. */
  sessionId?: string;
  /** The session is known to check location: share it from the start. */
  wantsLocation?: boolean;
  onCheckedIn: (result: CheckinResult) => void;
}

/** A big 6-character code box, an optional location, and every refusal explained. */
export function CodeCheckinForm({ sessionId, wantsLocation = false, onCheckedIn }: CodeCheckinFormProps) {
  const checkIn = useCheckIn();
  const [code, setCode] = useState('');
  const [shareLocation, setShareLocation] = useState(wantsLocation);
  const [locating, setLocating] = useState(false);
  const [problem, setProblem] = useState<CheckinProblem | null>(null);

  async function submit(withLocation: boolean) {
    if (code.length !== CODE_LENGTH) {
      setProblem({ code: 'short', title: 'The code has 6 characters', message: 'Type all 6 characters shown on the screen.', needsLocation: false });
      return;
    }
    setProblem(null);
    let location: Position | undefined;
    if (withLocation) {
      setLocating(true);
      try {
        location = await currentPosition();
      } catch (error) {
        setProblem({ code: 'location', title: 'Could not get your location', message: errorMessage(error), needsLocation: true });
        return;
      } finally {
        setLocating(false);
      }
    }
    checkIn.mutate(
      { code, sessionId, location },
      {
        onSuccess: onCheckedIn,
        onError: (error) => setProblem(describeCheckinError(error, 'typed', location !== undefined)),
      },
    );
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void submit(shareLocation);
  }

  return (
    <form onSubmit={onSubmit} noValidate data-testid="checkin-form">
      <Stack gap="md">
        {problem ? (
          <CheckinProblemAlert problem={problem}>
            {problem.needsLocation ? (
              <Button
                mt="sm"
                variant="white"
                color="red"
                leftSection={<IconCurrentLocation size={16} />}
                onClick={() => {
                  setShareLocation(true);
                  void submit(true);
                }}
                data-testid="checkin-share-location-retry"
              >
                Share my location and check in
              </Button>
            ) : null}
          </CheckinProblemAlert>
        ) : null}
        <TextInput
          label="Code on the screen"
          placeholder="ABC123"
          value={code}
          onChange={(e) => {
            setCode(normaliseCode(e.currentTarget.value));
            if (problem?.code === 'short') setProblem(null);
          }}
          autoComplete="off"
          autoCorrect="off"
          autoCapitalize="characters"
          spellCheck={false}
          inputMode="text"
          enterKeyHint="go"
          data-autofocus
          size="xl"
          styles={{
            input: {
              fontFamily: 'var(--mantine-font-family-monospace)',
              fontSize: '2.2rem',
              fontWeight: 700,
              letterSpacing: '0.3em',
              textAlign: 'center',
              height: '4.5rem',
            },
          }}
          data-testid="checkin-code"
        />
        <Checkbox
          label="Share my location"
          description="Some sessions check that you are in the classroom."
          checked={shareLocation}
          onChange={(e) => setShareLocation(e.currentTarget.checked)}
          data-testid="checkin-share-location"
        />
        <Button type="submit" size="xl" fullWidth loading={checkIn.isPending || locating} disabled={code.length !== CODE_LENGTH} data-testid="checkin-submit">
          Check in
        </Button>
      </Stack>
    </form>
  );
}

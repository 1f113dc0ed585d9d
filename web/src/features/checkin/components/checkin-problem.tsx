import type { ReactNode } from 'react';
import { Alert } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import type { CheckinProblem } from './checkin-messages.js';

export function CheckinProblemAlert({ problem, children }: { problem: CheckinProblem; children?: ReactNode }) {
  return (
    <Alert color={problem.code === 'too_many_attempts' ? 'orange' : 'red'} icon={<IconAlertTriangle size={20} />} title={problem.title} data-testid="checkin-error" data-code={problem.code}>
      {problem.message}
      {children}
    </Alert>
  );
}

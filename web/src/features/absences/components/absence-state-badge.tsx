import { Badge } from '@mantine/core';
import type { AbsenceState } from '../../../../../common/absence.schemas.js';

const COLORS: Record<AbsenceState, string> = { pending: 'yellow', approved: 'teal', denied: 'red', withdrawn: 'gray' };

export function AbsenceStateBadge({ state }: { state: AbsenceState }) {
  return (
    <Badge color={COLORS[state]} variant="light" data-testid="absence-state" data-state={state}>
      {state}
    </Badge>
  );
}

export const CATEGORY_LABEL: Record<string, string> = { illness: 'Illness', family: 'Family', official: 'Official', other: 'Other' };

/** What numbering needs to know of a session. */
export interface NumberedSession {
  id: string;
  number: number | null;
  state: string;
  /** Set once the session has been opened: from then on its number is frozen. */
  openedAt: string | null;
}

/**
 * The numbers of one course × kind's sessions, given in start order (API.md "Structure"): cancelled
 * sessions get none; held sessions (opened at least once) keep theirs whatever is added or moved
 * before them; the others count on from the previous session, skipping numbers a held session
 * owns, so no two sessions of a kind ever share a number. Returns only the sessions whose number
 * changes.
 */
export function assignNumbers(ordered: NumberedSession[]): Map<string, number | null> {
  const held = new Set<number>();
  for (const s of ordered) if (isFrozen(s)) held.add(s.number as number);
  const changes = new Map<string, number | null>();
  let counter = 0;
  for (const s of ordered) {
    let number: number | null;
    if (s.state === 'cancelled') number = null;
    else if (isFrozen(s)) {
      number = s.number as number;
      counter = Math.max(counter, number);
    } else {
      number = counter + 1;
      while (held.has(number)) number++;
      counter = number;
    }
    if (number !== s.number) changes.set(s.id, number);
  }
  return changes;
}

function isFrozen(s: NumberedSession): boolean {
  return s.state !== 'cancelled' && s.openedAt !== null && s.number !== null;
}

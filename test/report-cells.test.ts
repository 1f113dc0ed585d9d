import { describe, expect, it } from 'vitest';
import { StudentCells, type CellStatus } from '../server/modules/reports/reports.repository.js';

const STATUSES: CellStatus[] = ['present', 'late', 'absent', 'excused'];

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

/** What StudentCells must give: every session's aggregate cut up naively. */
function naive(sessions: string[]): Map<string, (CellStatus | null)[]> {
  const rows = new Map<string, (CellStatus | null)[]>();
  sessions.forEach((cells, j) => {
    if (!cells) return;
    for (const entry of cells.split(',')) {
      const status = STATUSES.find((s) => entry.startsWith(s))!;
      const id = entry.slice(status.length);
      if (!rows.has(id)) rows.set(id, new Array(sessions.length).fill(null));
      rows.get(id)![j] = status;
    }
  });
  return rows;
}

function decode(sessions: string[]) {
  const cells = new StudentCells(() => new Array<CellStatus | null>(sessions.length).fill(null));
  sessions.forEach((aggregate, j) => cells.read(aggregate || null, (row, status) => (row[j] = status)));
  return new Map([...cells.byId.values()].map((e) => [e.id, e.slot]));
}

describe('reading aggregated report cells', () => {
  it('gives every student their statuses whatever order, gaps, newcomers and look-alike ids the sessions list', () => {
    const next = random(42);
    // Ids that are prefixes/suffixes of each other and of the same length, so a wrong guess could match in part.
    const ids = ['a1', 'a12', 'b12', '12', 'x', 'xx', 'lateabc', 'absentx', ...Array.from({ length: 40 }, (_, i) => `s${i.toString(36)}`)];
    for (const order of ['sorted', 'shuffled', 'mixed'] as const) {
      const sessions: string[] = [];
      for (let j = 0; j < 30; j++) {
        let present = ids.filter(() => next() > 0.2);
        if (order === 'sorted') present = present.sort();
        else if (order === 'shuffled' || next() > 0.5) present = present.sort(() => next() - 0.5);
        sessions.push(present.map((id) => STATUSES[Math.floor(next() * 4)] + id).join(','));
      }
      sessions.push(''); // a held session without records
      expect(decode(sessions)).toEqual(naive(sessions));
    }
  });
});

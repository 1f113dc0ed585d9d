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

type Session = [studentId: string, status: CellStatus][];

/** The aggregate the report query returns for a session (null when it has no records). */
const aggregate = (session: Session): string | null =>
  session.length === 0 ? null : `${session.map(([id]) => id).join(',')}|${session.map(([, s]) => s[0]).join('')}`;

function expected(sessions: Session[]): Map<string, (CellStatus | null)[]> {
  const rows = new Map<string, (CellStatus | null)[]>();
  sessions.forEach((session, j) => {
    for (const [id, status] of session) {
      if (!rows.has(id)) rows.set(id, new Array(sessions.length).fill(null));
      rows.get(id)![j] = status;
    }
  });
  return rows;
}

function decode(sessions: Session[]) {
  const cells = new StudentCells(() => new Array<CellStatus | null>(sessions.length).fill(null));
  sessions.forEach((session, j) => cells.read(aggregate(session), (row, status) => (row[j] = status)));
  return new Map([...cells.byId.values()].map((e) => [e.id, e.slot]));
}

describe('reading aggregated report cells', () => {
  it('gives every student their statuses, whether sessions repeat the previous student list or not', () => {
    const next = random(42);
    const ids = ['a1', 'a12', 'b12', '12', 'x', 'xx', ...Array.from({ length: 40 }, (_, i) => `s${i.toString(36)}`)].sort();
    const sessions: Session[] = [];
    let list = ids;
    for (let j = 0; j < 60; j++) {
      const r = next();
      // Mostly the same students as before (in the same order), sometimes fewer, more or reordered.
      if (r < 0.15) list = ids.filter(() => next() > 0.2);
      else if (r < 0.25) list = [...ids].sort(() => next() - 0.5);
      else if (r < 0.3) list = ids;
      sessions.push(list.map((id) => [id, STATUSES[Math.floor(next() * 4)]]));
      if (j === 30) sessions.push([]); // a held session without records
    }
    expect(decode(sessions)).toEqual(expected(sessions));
  });

  it('refuses an aggregate whose statuses do not match its students', () => {
    const cells = new StudentCells(() => ({}));
    expect(() => cells.read('a,b,c|pa', () => {})).toThrow(/3 students but 2 statuses/);
  });
});

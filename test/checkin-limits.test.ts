import { expect, it } from 'vitest';
import { buildClassroom, openWithCode, scheduleSession } from './support/classroom.js';
import { describeEachDialect } from './support/test-app.js';

const MAX_PER_USER = 3;
const MAX_PER_IP = 5;

describeEachDialect(
  'check-in code limits under concurrency',
  (ctx) => {
    it('60 parallel wrong codes from one student: only the budget is checked, the rest and then the right code get 429', async () => {
      const room = await buildClassroom(ctx(), 1);
      const sessionId = await scheduleSession(ctx(), room);
      const { code } = await openWithCode(ctx(), room, sessionId);
      const wrong = code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code: wrong }, remoteAddress: `10.70.0.${i + 1}` }),
        ),
      );
      expect(results.filter((r) => r.statusCode === 403)).toHaveLength(MAX_PER_USER);
      expect(results.filter((r) => r.statusCode === 429)).toHaveLength(60 - MAX_PER_USER);
      const right = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code }, remoteAddress: '10.70.1.1' });
      expect(right.statusCode).toBe(429);
    });

    it('right codes give their reservation back: a whole class behind one address checks in', async () => {
      const room = await buildClassroom(ctx(), MAX_PER_IP * 2);
      const sessionId = await scheduleSession(ctx(), room);
      const { code } = await openWithCode(ctx(), room, sessionId);
      const results = await Promise.all(
        room.students.map((s) => ctx().request({ method: 'POST', url: '/api/checkin', token: s.token, payload: { code }, remoteAddress: '10.71.0.1' })),
      );
      expect(results.map((r) => r.statusCode)).toEqual(room.students.map(() => 201));
    });
  },
  { CHECKIN_MAX_FAILURES_PER_USER: String(MAX_PER_USER), CHECKIN_MAX_FAILURES_PER_IP: String(MAX_PER_IP) },
);

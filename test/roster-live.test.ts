import { beforeAll, expect, it } from 'vitest';
import { buildClassroom, openWithCode, scheduleSession } from './support/classroom.js';
import { buildUser } from './support/factories.js';
import { describeEachDialect } from './support/test-app.js';
import { openAuthedSocket, wsUrlOf, type TestSocket, type WsMessage } from './support/ws-client.js';

interface RosterChanged {
  sessionId: string;
  courseId: string;
  added: string[];
  removed: string[];
}

/**
 * Enrolling or unenrolling a student while a session of the course is open reaches the session's
 * staff live (issue 13: the live page and projector missed newly enrolled students until a reload).
 */
describeEachDialect('roster changes, live', (ctx) => {
  beforeAll(async () => {
    await ctx().app.listen({ port: 0, host: '127.0.0.1' });
  });

  const rosterEvent = (socket: TestSocket, topic: string, label: string) =>
    socket.next((m) => m.event === 'ROSTER_CHANGED' && m.topic === topic, label);
  const summaryWith = (socket: TestSocket, topic: string, enrolled: number) =>
    socket.next(
      (m) => m.event === 'SUMMARY' && m.topic === topic && (m.data as { summary: { enrolled: number } }).summary.enrolled === enrolled,
      `SUMMARY with ${enrolled} enrolled`,
    );

  it('enroll, unenroll and CSV import announce ROSTER_CHANGED and the new count to open sessions only', async () => {
    const room = await buildClassroom(ctx(), 2, { loginStudents: 0 });
    const openId = await scheduleSession(ctx(), room);
    const laterId = await scheduleSession(ctx(), room, 24 * 60);
    await openWithCode(ctx(), room, openId);
    const openTopic = `session:${openId}`;
    const laterTopic = `session:${laterId}`;
    const teacher = await openAuthedSocket(wsUrlOf(ctx().app), room.teacherToken);
    try {
      await teacher.subscribe(openTopic);
      await teacher.subscribe(laterTopic);

      const enroll = (studentId: string) =>
        ctx().request({ method: 'POST', url: `/api/courses/${room.courseId}/enrollments`, token: room.teacherToken, payload: { studentIds: [studentId] } });

      // 1. The teacher enrolls a new student.
      const newcomer = await buildUser(ctx().db, { role: 'student' });
      const added = rosterEvent(teacher, openTopic, 'ROSTER_CHANGED after enrolling');
      expect((await enroll(newcomer.id)).json()).toMatchObject({ enrolled: 1, alreadyEnrolled: 0 });
      expect((await added).data as RosterChanged).toEqual({ sessionId: openId, courseId: room.courseId, added: [newcomer.id], removed: [] });
      expect((await summaryWith(teacher, openTopic, 3)).data).toMatchObject({ sessionId: openId, summary: { enrolled: 3, unmarked: 3 } });

      // 2. Enrolling them again changes nothing, so nothing is announced: the next event is the removal.
      expect((await enroll(newcomer.id)).json()).toMatchObject({ enrolled: 0, alreadyEnrolled: 1 });
      const removed = rosterEvent(teacher, openTopic, 'ROSTER_CHANGED after unenrolling');
      const unenroll = await ctx().request({
        method: 'DELETE',
        url: `/api/courses/${room.courseId}/students/${room.students[0].id}`,
        token: room.teacherToken,
      });
      expect(unenroll.statusCode).toBe(204);
      expect((await removed).data as RosterChanged).toEqual({ sessionId: openId, courseId: room.courseId, added: [], removed: [room.students[0].id] });
      await summaryWith(teacher, openTopic, 2);

      // 3. A CSV import into the course is announced as well.
      const imported = await buildUser(ctx().db, { role: 'student' });
      const fromCsv = rosterEvent(teacher, openTopic, 'ROSTER_CHANGED after a CSV import');
      const csv = await ctx().request({
        method: 'POST',
        url: '/api/enrollments/import',
        token: room.teacherToken,
        payload: `courseCode,studentNumber\n${room.courseCode},${imported.studentNumber}\n`,
        headers: { 'content-type': 'text/csv' },
      });
      expect(csv.json()).toMatchObject({ enrolled: 1 });
      expect(((await fromCsv).data as RosterChanged).added).toEqual([imported.id]);
      await summaryWith(teacher, openTopic, 3);

      // The scheduled session's topic heard none of it (its page reads the roster when it opens).
      const onLater = teacher.messages.filter((m: WsMessage) => m.topic === laterTopic);
      expect(onLater.map((m) => m.event)).not.toContain('ROSTER_CHANGED');
      expect(teacher.messages.filter((m) => m.event === 'ROSTER_CHANGED')).toHaveLength(3);
    } finally {
      teacher.close();
    }
  });
});

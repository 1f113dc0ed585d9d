import ICAL from 'ical.js';
import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from './support/test-app.js';
import { userWithToken, type BuiltUser } from './support/factories.js';
import { buildCourse, buildSession } from './support/course-factories.js';

type MySession = { id: string; number: number; state: string; course: { id: string; code: string; name: string }; record: unknown };

describeEachDialect(
  'calendar',
  (ctx) => {
    let teacher: { user: BuiltUser; token: string };
    let student: { user: BuiltUser; token: string };
    let courseA: { id: string; code: string; name: string };
    let sessions: { id: string }[];

    beforeAll(async () => {
      teacher = await userWithToken(ctx(), 'teacher');
      student = await userWithToken(ctx(), 'student');
      const a = await buildCourse(ctx().db, { code: 'CAL-101', name: 'Calendars, Clocks; and Time', teacherIds: [teacher.user.id], studentIds: [student.user.id] });
      const b = await buildCourse(ctx().db, { code: 'CAL-202', name: 'Not mine', studentIds: [student.user.id] });
      const c = await buildCourse(ctx().db, { code: 'CAL-303', name: 'Not enrolled', teacherIds: [teacher.user.id] });
      courseA = a;
      const long = 'Ünïcödé lecture about time zones, daylight saving; and why calendars are hard — a very long title indeed';
      sessions = [
        await buildSession(ctx().db, a.id, { number: 1, starts_at: '2031-03-03T09:00:00.000Z', ends_at: '2031-03-03T10:30:00.000Z', venue: 'Hall A, Room 1; East wing' }),
        await buildSession(ctx().db, a.id, { number: 2, title: long, starts_at: '2031-03-10T09:00:00.000Z', ends_at: '2031-03-10T10:30:00.000Z' }),
        await buildSession(ctx().db, a.id, {
          number: 3,
          state: 'cancelled',
          cancelled_reason: 'Strike\nsee notice',
          starts_at: '2031-03-17T09:00:00.000Z',
          ends_at: '2031-03-17T10:30:00.000Z',
        }),
        await buildSession(ctx().db, b.id, { number: 1, starts_at: '2031-03-04T12:00:00.000Z', ends_at: '2031-03-04T13:00:00.000Z' }),
        await buildSession(ctx().db, c.id, { number: 1, starts_at: '2031-03-05T12:00:00.000Z', ends_at: '2031-03-05T13:00:00.000Z' }),
      ];
    });

    it("lists a student's sessions of enrolled courses and a teacher's teaching sessions, in a range", async () => {
      const mine = await ctx().request({ method: 'GET', url: '/api/me/sessions?from=2031-03-01&to=2031-03-31', token: student.token });
      expect(mine.statusCode).toBe(200);
      const items: MySession[] = mine.json().items;
      expect(items.map((s) => s.id)).toEqual([sessions[0].id, sessions[3].id, sessions[1].id, sessions[2].id]);
      expect(items[0]).toMatchObject({ number: 1, course: { id: courseA.id, code: 'CAL-101', name: courseA.name }, record: null, venue: 'Hall A, Room 1; East wing' });
      expect(items[3].state).toBe('cancelled');

      const teaching = (await ctx().request({ method: 'GET', url: '/api/me/sessions?from=2031-03-01&to=2031-03-31', token: teacher.token })).json();
      expect(teaching.items.map((s: MySession) => s.id)).toEqual([sessions[0].id, sessions[4].id, sessions[1].id, sessions[2].id]);

      const week = (await ctx().request({ method: 'GET', url: '/api/me/sessions?from=2031-03-03&to=2031-03-04', token: student.token })).json();
      expect(week.items.map((s: MySession) => s.id)).toEqual([sessions[0].id, sessions[3].id]);
      const fromOnly = (await ctx().request({ method: 'GET', url: '/api/me/sessions?from=2031-03-10T00:00:00Z', token: student.token })).json();
      expect(fromOnly.items.map((s: MySession) => s.id)).toEqual([sessions[1].id, sessions[2].id]);
      const tooWide = await ctx().request({ method: 'GET', url: '/api/me/sessions?from=2031-01-01&to=2033-01-01', token: student.token });
      expect(tooWide.statusCode).toBe(400);
      const nothing = (await ctx().request({ method: 'GET', url: '/api/me/sessions', token: student.token })).json();
      expect(nothing.items).toEqual([]);
    });

    it('gives each user one stable private feed URL that serves a valid iCalendar of their sessions', async () => {
      const first = await ctx().request({ method: 'GET', url: '/api/me/calendar-url', token: student.token });
      expect(first.statusCode).toBe(200);
      const { url } = first.json();
      expect(url).toMatch(/^http:\/\/rollbook\.test\/api\/calendar\/[A-Za-z0-9_-]{40,}\.ics$/);
      expect((await ctx().request({ method: 'GET', url: '/api/me/calendar-url', token: student.token })).json().url).toBe(url);
      const teacherUrl = (await ctx().request({ method: 'GET', url: '/api/me/calendar-url', token: teacher.token })).json().url;
      expect(teacherUrl).not.toBe(url);

      // The feed needs no login: the unguessable address is the credential.
      const feed = await ctx().request({ method: 'GET', url: new URL(url).pathname });
      expect(feed.statusCode).toBe(200);
      expect(feed.headers['content-type']).toBe('text/calendar; charset=utf-8');
      const text = feed.body;
      expect(text.endsWith('\r\n')).toBe(true);
      for (const line of text.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
      expect(text).not.toMatch(/[^\r]\n/);

      const cal = new ICAL.Component(ICAL.parse(text));
      expect(cal.name).toBe('vcalendar');
      expect(cal.getFirstPropertyValue('version')).toBe('2.0');
      const events = cal.getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));
      expect(events).toHaveLength(4);
      const byUid = new Map(events.map((e) => [e.uid, e]));
      expect([...byUid.keys()].sort()).toEqual([sessions[0], sessions[1], sessions[2], sessions[3]].map((s) => `${s.id}@rollbook`).sort());

      const first1 = byUid.get(`${sessions[0].id}@rollbook`)!;
      expect(first1.summary).toBe('CAL-101 Lecture 1: Calendars, Clocks; and Time');
      expect(first1.location).toBe('Hall A, Room 1; East wing');
      expect(first1.startDate.toJSDate().toISOString()).toBe('2031-03-03T09:00:00.000Z');
      expect(first1.endDate.toJSDate().toISOString()).toBe('2031-03-03T10:30:00.000Z');
      expect(first1.component.getFirstPropertyValue('status')).toBe('CONFIRMED');

      const titled = byUid.get(`${sessions[1].id}@rollbook`)!;
      expect(titled.summary).toBe('CAL-101 Lecture 2: Ünïcödé lecture about time zones, daylight saving; and why calendars are hard — a very long title indeed');

      const cancelled = byUid.get(`${sessions[2].id}@rollbook`)!;
      expect(cancelled.component.getFirstPropertyValue('status')).toBe('CANCELLED');
      expect(cancelled.description).toBe('Cancelled: Strike\nsee notice');

      const teacherFeed = await ctx().request({ method: 'GET', url: new URL(teacherUrl).pathname });
      const teacherEvents = new ICAL.Component(ICAL.parse(teacherFeed.body)).getAllSubcomponents('vevent');
      expect(teacherEvents.map((v) => v.getFirstPropertyValue('uid')).sort()).toEqual(
        [sessions[0], sessions[1], sessions[2], sessions[4]].map((s) => `${s.id}@rollbook`).sort(),
      );
    });

    it('follows changes: a new session appears with the same UIDs for the old ones; a renumbered one gets a higher SEQUENCE', async () => {
      const { url } = (await ctx().request({ method: 'GET', url: '/api/me/calendar-url', token: student.token })).json();
      const before = new ICAL.Component(ICAL.parse((await ctx().request({ method: 'GET', url: new URL(url).pathname })).body));
      const seqBefore = new Map(before.getAllSubcomponents('vevent').map((v) => [v.getFirstPropertyValue('uid'), Number(v.getFirstPropertyValue('sequence'))]));
      const added = await ctx().request({
        method: 'POST',
        url: `/api/courses/${courseA.id}/sessions`,
        token: teacher.token,
        payload: { startsAt: '2031-03-01T09:00:00Z', endsAt: '2031-03-01T10:00:00Z', venue: 'Lab' },
      });
      expect(added.json().number).toBe(1);
      const after = new ICAL.Component(ICAL.parse((await ctx().request({ method: 'GET', url: new URL(url).pathname })).body));
      const events = after.getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));
      expect(events).toHaveLength(5);
      const moved = events.find((e) => e.uid === `${sessions[0].id}@rollbook`)!;
      expect(moved.summary).toBe('CAL-101 Lecture 2: Calendars, Clocks; and Time');
      expect(moved.sequence).toBeGreaterThan(seqBefore.get(`${sessions[0].id}@rollbook`) as number);
    });

    it('revokes the old address on reset, and answers unknown or malformed tokens with 404/400', async () => {
      const old = (await ctx().request({ method: 'GET', url: '/api/me/calendar-url', token: teacher.token })).json().url;
      const reset = await ctx().request({ method: 'POST', url: '/api/me/calendar-url/reset', token: teacher.token });
      expect(reset.json().url).not.toBe(old);
      expect((await ctx().request({ method: 'GET', url: new URL(old).pathname })).statusCode).toBe(404);
      expect((await ctx().request({ method: 'GET', url: new URL(reset.json().url).pathname })).statusCode).toBe(200);
      const unknown = await ctx().request({ method: 'GET', url: `/api/calendar/${'x'.repeat(43)}.ics` });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.headers['content-type']).toMatch(/problem\+json/);
      expect((await ctx().request({ method: 'GET', url: '/api/calendar/short.ics' })).statusCode).toBe(400);
      expect((await ctx().request({ method: 'GET', url: '/api/me/calendar-url' })).statusCode).toBe(401);
    });

    it('stops serving the feed of a deactivated user', async () => {
      const s = await userWithToken(ctx(), 'student');
      const { url } = (await ctx().request({ method: 'GET', url: '/api/me/calendar-url', token: s.token })).json();
      expect((await ctx().request({ method: 'GET', url: new URL(url).pathname })).statusCode).toBe(200);
      await ctx().db.updateTable('users').set({ active: 0 }).where('id', '=', s.user.id).execute();
      expect((await ctx().request({ method: 'GET', url: new URL(url).pathname })).statusCode).toBe(404);
    });
  },
  { TIMEZONE: 'Europe/London' },
);

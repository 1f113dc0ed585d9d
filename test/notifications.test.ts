import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderNotification } from '../common/notification.schemas.js';
import { createNotifications, notify, pushNotifications } from '../server/modules/notifications/notifications.service.js';
import { buildUser, userWithToken } from './support/factories.js';
import { closedPort, startTestSmtp, type TestSmtp } from './support/smtp.js';
import { describeEachDialect, startTestApp, testDialects } from './support/test-app.js';
import { openAuthedSocket, type TestSocket, wsUrlOf } from './support/ws-client.js';

type Authed = Awaited<ReturnType<typeof userWithToken>>;

describeEachDialect('notifications', (ctx) => {
  let url: string;
  let student: Authed;
  let other: Authed;
  let admin: Authed;
  let socket: TestSocket;

  beforeAll(async () => {
    await ctx().app.listen({ port: 0, host: '127.0.0.1' });
    url = wsUrlOf(ctx().app);
    student = await userWithToken(ctx(), 'student');
    other = await userWithToken(ctx(), 'student');
    admin = await userWithToken(ctx(), 'admin');
    socket = await openAuthedSocket(url, student.token);
    await socket.subscribe(`user:${student.user.id}`);
  });
  afterAll(() => socket?.close());

  const list = (token: string, query = '') => ctx().request({ method: 'GET', url: `/api/notifications${query}`, token });

  it('starts empty and needs a signed-in user', async () => {
    const res = await list(student.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [], nextCursor: null, unreadCount: 0 });
    expect((await ctx().request({ method: 'GET', url: '/api/notifications' })).statusCode).toBe(401);
    expect((await ctx().request({ method: 'POST', url: '/api/notifications/read-all' })).statusCode).toBe(401);
  });

  it('notify() stores the notification and pushes it live to the user’s socket', async () => {
    const payload = { sessionId: 's1', courseCode: 'CS101', courseName: 'Algorithms', sessionNumber: 3, status: 'late' };
    const created = await notify(ctx().app, student.user.id, 'checkin_confirmed', payload);
    const pushed = await socket.nextEvent('NOTIFICATION');
    expect(pushed.topic).toBe(`user:${student.user.id}`);
    expect(pushed.data.notification).toEqual({ id: created.id, kind: 'checkin_confirmed', payload, read: false, createdAt: created.createdAt });

    const res = await list(student.token);
    expect(res.json()).toMatchObject({ unreadCount: 1, nextCursor: null, items: [pushed.data.notification] });
    // Nobody else sees it.
    expect((await list(other.token)).json()).toMatchObject({ items: [], unreadCount: 0 });
  });

  it('createNotifications() writes inside the caller’s transaction (a rollback leaves nothing)', async () => {
    const { db } = ctx();
    const before = (await list(other.token)).json().items.length;
    await expect(
      db.transaction().execute(async (trx) => {
        await createNotifications(trx, [{ userId: other.user.id, kind: 'class_cancelled', payload: { reason: 'rolled back' } }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await list(other.token)).json().items).toHaveLength(before);

    const many = await db
      .transaction()
      .execute((trx) =>
        createNotifications(trx, [
          { userId: other.user.id, kind: 'class_cancelled', payload: { courseCode: 'MA201', reason: 'Flu' } },
          { userId: student.user.id, kind: 'class_cancelled', payload: { courseCode: 'MA201', reason: 'Flu' } },
        ]),
      );
    expect(many.map((n) => n.userId)).toEqual([other.user.id, student.user.id]);
    pushNotifications(ctx().app, many);
    const pushed = await socket.next((m) => m.event === 'NOTIFICATION' && m.data.notification.kind === 'class_cancelled', 'class_cancelled');
    expect(pushed.data.notification.id).toBe(many[1].id);
    expect(pushed.data.notification).not.toHaveProperty('userId');
  });

  it('pages newest first with a cursor and filters unread', async () => {
    const u = await userWithToken(ctx(), 'student');
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await notify(ctx().app, u.user.id, 'test', { message: `m${i}` }));
    const page1 = (await list(u.token, '?limit=2')).json();
    expect(page1.items.map((n: { payload: { message: string } }) => n.payload.message)).toEqual(['m4', 'm3']);
    expect(page1.unreadCount).toBe(5);
    expect(page1.nextCursor).toBeTruthy();
    const page2 = (await list(u.token, `?limit=2&cursor=${page1.nextCursor}`)).json();
    expect(page2.items.map((n: { payload: { message: string } }) => n.payload.message)).toEqual(['m2', 'm1']);
    const page3 = (await list(u.token, `?limit=2&cursor=${page2.nextCursor}`)).json();
    expect(page3.items.map((n: { payload: { message: string } }) => n.payload.message)).toEqual(['m0']);
    expect(page3.nextCursor).toBeNull();

    const read = await ctx().request({ method: 'POST', url: `/api/notifications/${made[3].id}/read`, token: u.token });
    expect(read.statusCode).toBe(200);
    const unread = (await list(u.token, '?unread=true')).json();
    expect(unread.unreadCount).toBe(4);
    expect(unread.items.map((n: { id: string }) => n.id)).toEqual([made[4].id, made[2].id, made[1].id, made[0].id]);

    expect((await list(u.token, '?limit=0')).statusCode).toBe(400);
    expect((await list(u.token, '?unread=maybe')).statusCode).toBe(400);
  });

  it('marks one read (idempotently, told live to the user’s other devices); another user’s is 404', async () => {
    const n = await notify(ctx().app, student.user.id, 'test', { message: 'read me' });
    await socket.next((m) => m.event === 'NOTIFICATION' && m.data.notification.id === n.id, 'the notification');
    const res = await ctx().request({ method: 'POST', url: `/api/notifications/${n.id}/read`, token: student.token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: n.id, read: true, kind: 'test', payload: { message: 'read me' } });
    const told = await socket.next((m) => m.event === 'NOTIFICATIONS_READ' && m.data.ids?.includes(n.id), 'NOTIFICATIONS_READ');
    expect(typeof told.data.unreadCount).toBe('number');

    const again = await ctx().request({ method: 'POST', url: `/api/notifications/${n.id}/read`, token: student.token });
    expect(again.statusCode).toBe(200);
    expect(again.json().read).toBe(true);

    const foreign = await ctx().request({ method: 'POST', url: `/api/notifications/${n.id}/read`, token: other.token });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().code).toBe('not_found');
    const missing = await ctx().request({ method: 'POST', url: '/api/notifications/no-such-id/read', token: student.token });
    expect(missing.statusCode).toBe(404);
  });

  it('marks all read', async () => {
    await notify(ctx().app, student.user.id, 'test', { message: 'one more' });
    const before = (await list(student.token)).json().unreadCount;
    expect(before).toBeGreaterThan(0);
    const res = await ctx().request({ method: 'POST', url: '/api/notifications/read-all', token: student.token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ updated: before });
    expect(await socket.next((m) => m.event === 'NOTIFICATIONS_READ' && m.data.ids === null, 'NOTIFICATIONS_READ all')).toMatchObject({
      data: { unreadCount: 0 },
    });
    expect((await list(student.token)).json().unreadCount).toBe(0);
    expect((await list(student.token, '?unread=true')).json().items).toEqual([]);
    const again = await ctx().request({ method: 'POST', url: '/api/notifications/read-all', token: student.token });
    expect(again.json()).toEqual({ updated: 0 });
  });

  it('lets an admin send a test notification, live', async () => {
    const res = await ctx().request({
      method: 'POST',
      url: '/api/notifications/test',
      token: admin.token,
      payload: { userId: student.user.id, message: 'Can you see this?' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ kind: 'test', payload: { message: 'Can you see this?' }, read: false });
    const pushed = await socket.next((m) => m.event === 'NOTIFICATION' && m.data.notification.id === res.json().id, 'test notification');
    expect(pushed.data.notification.payload.message).toBe('Can you see this?');

    const byStudent = await ctx().request({
      method: 'POST',
      url: '/api/notifications/test',
      token: student.token,
      payload: { userId: other.user.id },
    });
    expect(byStudent.statusCode).toBe(403);
    const unknown = await ctx().request({ method: 'POST', url: '/api/notifications/test', token: admin.token, payload: { userId: 'nobody' } });
    expect(unknown.statusCode).toBe(404);
    const bad = await ctx().request({ method: 'POST', url: '/api/notifications/test', token: admin.token, payload: { message: 'x' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('validation_failed');
  });

  it('deletes a user’s notifications with the user (cascade)', async () => {
    const u = await buildUser(ctx().db, { role: 'student' });
    await notify(ctx().app, u.id, 'test', { message: 'bye' });
    await ctx().db.deleteFrom('users').where('id', '=', u.id).execute();
    const left = await ctx().db.selectFrom('notifications').select('id').where('user_id', '=', u.id).execute();
    expect(left).toEqual([]);
  });

  it('reports mail "off" without SMTP_URL', async () => {
    const res = await ctx().request({ method: 'GET', url: '/api/status' });
    expect(res.json().mail).toBe('off');
  });
});

describe('notification mail', () => {
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startTestSmtp();
  });
  afterAll(async () => smtp?.close());

  for (const dialect of testDialects()) {
    it(`mails a notification to the user through SMTP_URL [${dialect}]`, async () => {
      const app = await startTestApp(dialect, { SMTP_URL: smtp.url, MAIL_FROM: 'Rollbook <noreply@school.test>', TIMEZONE: 'Europe/London' });
      try {
        expect((await app.request({ method: 'GET', url: '/api/status' })).json().mail).toBe('ok');
        const user = await buildUser(app.db, { role: 'student', email: `mail-${dialect}@school.test` });
        const noEmail = await buildUser(app.db, { role: 'student', email: null });
        await notify(app.app, noEmail.id, 'test', { message: 'nobody to mail' });
        await notify(app.app, user.id, 'class_cancelled', {
          courseCode: 'PH110',
          courseName: 'Physics',
          sessionNumber: 4,
          startsAt: '2026-11-25T09:00:00Z',
          reason: 'Lab flooded',
        });
        const mail = await smtp.waitFor((m) => m.to.includes(`mail-${dialect}@school.test`), `to mail-${dialect}@school.test`);
        expect(mail.from).toBe('noreply@school.test');
        expect(mail.subject).toBe('Rollbook: Class cancelled: PH110');
        expect(mail.text).toContain('PH110 Physics, Lecture 4 on Wed 25 Nov, 09:00 is cancelled. Reason: Lab flooded');
        expect(mail.text).toContain('http://rollbook.test/notifications');
      } finally {
        await app.close();
      }
    });
  }

  it('reports mail "down" when the SMTP server does not answer, and notify() still succeeds', async () => {
    const port = await closedPort();
    const app = await startTestApp(testDialects()[0], { SMTP_URL: `smtp://127.0.0.1:${port}` });
    try {
      const user = await buildUser(app.db, { role: 'student' });
      const n = await notify(app.app, user.id, 'test', { message: 'mail will fail' });
      expect(n.kind).toBe('test');
      const status = await app.request({ method: 'GET', url: '/api/status' });
      expect(status.statusCode).toBe(200);
      expect(status.json().mail).toBe('down');
      expect(status.json().database).toBe('ok');
    } finally {
      await app.close();
    }
  });
});

describe('renderNotification', () => {
  it('words each known kind, copes with gaps and falls back for unknown kinds', () => {
    expect(renderNotification('checkin_confirmed', { courseCode: 'CS101', courseName: 'Algorithms', sessionNumber: 2 })).toEqual({
      title: 'Check-in confirmed',
      body: 'Your attendance for CS101 Algorithms, Lecture 2 was confirmed.',
    });
    expect(renderNotification('checkin_confirmed', { status: 'late' }).body).toBe('Your attendance for your class was confirmed (late).');
    expect(
      renderNotification('class_cancelled', { courseCode: 'CS101', startsAt: '2026-11-25T09:00:00Z', reason: 'Ill' }, { timeZone: 'UTC' }),
    ).toEqual({ title: 'Class cancelled: CS101', body: 'CS101 on Wed 25 Nov, 09:00 is cancelled. Reason: Ill' });
    expect(renderNotification('absence_decided', { decision: 'approved', courseCode: 'CS101', response: 'Get well' })).toEqual({
      title: 'Absence request approved',
      body: 'Your absence request for CS101 was approved. Response: Get well',
    });
    expect(renderNotification('absence_decided', { decision: 'denied' }).title).toBe('Absence request denied');
    expect(renderNotification('absence_decided', { decision: 'maybe' }).title).toBe('Absence decided');
    expect(renderNotification('test', { message: 'Hello' })).toEqual({ title: 'Test notification', body: 'Hello' });
    expect(renderNotification('grade_posted', {})).toEqual({ title: 'Grade posted', body: 'You have a new notification in Rollbook.' });
    expect(renderNotification('grade_posted', { message: 'B+' }).body).toBe('B+');
  });
});

import type { FastifyInstance } from 'fastify';
import { afterEach, expect, it, vi } from 'vitest';
import { buildApp } from '../server/app.js';
import { buildClassroom, openWithCode, scheduleSession, type Classroom } from './support/classroom.js';
import { describeEachDialect, type TestContext } from './support/test-app.js';

// The open-session cache indexes each session's current codes (code → sessions) and re-reads only
// the sessions changed since its last look: these check that the index answers exactly as trying
// every open session did.

const checkin = (ctx: TestContext, token: string | undefined, code: string, sessionId?: string) =>
  ctx.request({ method: 'POST', url: '/api/checkin', token, payload: sessionId ? { code, sessionId } : { code } });

const tokenOf = (url: string) => new URL(url).searchParams.get('t')!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEachDialect('open-session code index', (ctx) => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('finds each of many open sessions by its own code and QR token, rotating or not', async () => {
    const rooms: { room: Classroom; sessionId: string; code: string; url: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const room = await buildClassroom(ctx(), 2);
      const sessionId = await scheduleSession(ctx(), room);
      const { code, url } = await openWithCode(ctx(), room, sessionId, i % 2 ? { codeRotateSeconds: 20 } : {});
      rooms.push({ room, sessionId, code, url });
    }
    for (const { room, sessionId, code, url } of rooms) {
      const typed = await checkin(ctx(), room.students[0].token, code.toLowerCase());
      expect(typed.statusCode, typed.body).toBe(201);
      expect(typed.json().record).toMatchObject({ sessionId, studentId: room.students[0].id, method: 'code' });
      const qr = await checkin(ctx(), room.students[1].token, tokenOf(url), sessionId);
      expect(qr.statusCode, qr.body).toBe(201);
      expect(qr.json().record).toMatchObject({ sessionId, studentId: room.students[1].id, method: 'qr' });
    }
  });

  it('follows rotation across steps: the new code, the previous one for a step, then not', async () => {
    const room = await buildClassroom(ctx(), 4);
    const sessionId = await scheduleSession(ctx(), room);
    const other = await buildClassroom(ctx(), 1);
    const otherId = await scheduleSession(ctx(), other);
    const start = Date.now();
    const first = await openWithCode(ctx(), room, sessionId, { codeRotateSeconds: 20 });
    await openWithCode(ctx(), other, otherId, { codeRotateSeconds: 30 });
    vi.useFakeTimers({ toFake: ['Date'] });
    // Two steps on: the first code is no longer accepted, the current one is.
    vi.setSystemTime(start + 45_000);
    const stale = await checkin(ctx(), room.students[0].token, first.code);
    expect(stale.statusCode).toBe(403);
    expect(stale.json().code).toBe('invalid_code');
    const now = (await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/code`, token: room.teacherToken })).json();
    expect(now.code).not.toBe(first.code);
    const fresh = await checkin(ctx(), room.students[1].token, now.code);
    expect(fresh.statusCode, fresh.body).toBe(201);
    expect(fresh.json().record.sessionId).toBe(sessionId);
    // One step later that code is the previous step's: still accepted; one more step and it is not.
    vi.setSystemTime(start + 65_000);
    const previous = await checkin(ctx(), room.students[2].token, now.code);
    expect(previous.statusCode, previous.body).toBe(201);
    vi.setSystemTime(start + 85_000);
    const expired = await checkin(ctx(), room.students[3].token, now.code);
    expect(expired.statusCode).toBe(403);
    expect(expired.json().code).toBe('invalid_code');
  });

  it('answers session_not_open for a closed session’s code, and invalid_code for a code never issued', async () => {
    const room = await buildClassroom(ctx(), 2);
    const sessionId = await scheduleSession(ctx(), room);
    const { code } = await openWithCode(ctx(), room, sessionId);
    const close = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/close`, token: room.teacherToken });
    expect(close.statusCode, close.body).toBe(200);
    const late = await checkin(ctx(), room.students[0].token, code);
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('session_not_open');
    const bogus = await checkin(ctx(), room.students[1].token, code === '333333' ? '444444' : '333333');
    expect(bogus.statusCode).toBe(403);
    expect(bogus.json().code).toBe('invalid_code');
  });

  it('two sessions sharing a code by chance: each student lands in their own course', async () => {
    const a = await buildClassroom(ctx(), 1);
    const b = await buildClassroom(ctx(), 1);
    const aId = await scheduleSession(ctx(), a);
    const bId = await scheduleSession(ctx(), b);
    const { code } = await openWithCode(ctx(), a, aId);
    await openWithCode(ctx(), b, bId);
    // Give B the same secret and opening time as A: both now show the same code.
    const row = await ctx().db.selectFrom('sessions').select(['code_secret', 'opened_at']).where('id', '=', aId).executeTakeFirstOrThrow();
    await ctx().db.updateTable('sessions').set({ code_secret: row.code_secret, opened_at: row.opened_at }).where('id', '=', bId).execute();
    ctx().app.openSessions.invalidate();
    const shown = (await ctx().request({ method: 'GET', url: `/api/sessions/${bId}/code`, token: b.teacherToken })).json();
    expect(shown.code).toBe(code);

    const inB = await checkin(ctx(), b.students[0].token, code);
    expect(inB.statusCode, inB.body).toBe(201);
    expect(inB.json().record.sessionId).toBe(bId);
    const inA = await checkin(ctx(), a.students[0].token, code);
    expect(inA.statusCode, inA.body).toBe(201);
    expect(inA.json().record.sessionId).toBe(aId);

    // Closing A leaves the code to B alone (A's student, not enrolled in B, is told A is closed).
    await ctx().request({ method: 'POST', url: `/api/sessions/${aId}/close`, token: a.teacherToken });
    const again = await checkin(ctx(), a.students[0].token, code);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('session_not_open');
  });

  it('another node sees a session opened, and its policy changed, within a second (incremental refresh)', async () => {
    const handle = ctx().database.open();
    let other: FastifyInstance | undefined;
    try {
      other = await buildApp(ctx().config, { database: handle });
      await other.ready();
      const onOther = (token: string | undefined, code: string) =>
        other!.inject({ method: 'POST', url: '/api/checkin', headers: { authorization: `Bearer ${token}` }, payload: { code } });
      const room = await buildClassroom(ctx(), 3);
      const sessionId = await scheduleSession(ctx(), room);
      // The other node has looked already (and cached) before the session opens.
      const before = await onOther(room.students[0].token, '333333');
      expect(before.json().code).toBe('invalid_code');
      const { code } = await openWithCode(ctx(), room, sessionId);
      await sleep(1100);
      const first = await onOther(room.students[0].token, code);
      expect(first.statusCode, first.body).toBe(201);
      expect(first.json().record.sessionId).toBe(sessionId);

      const patch = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/open`, token: room.teacherToken, payload: { methods: ['qr'] } });
      expect(patch.statusCode, patch.body).toBe(200);
      await sleep(1100);
      const typed = await onOther(room.students[1].token, code);
      expect(typed.statusCode).toBe(403);
      expect(typed.json().code).toBe('method_not_allowed');
    } finally {
      await other?.close();
      await handle.db.destroy();
    }
  });
});

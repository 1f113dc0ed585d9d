// Reads that must not get slower as a school's history grows: each finds its rows by an index, checked
// on a database holding that history (or, for PostgreSQL, with the plan it would choose as the tables
// grow). Every check-in's attendance figure, each node's open-session cache, an endpoint's deliveries.
import { expect, it } from 'vitest';
import { newId } from '../server/lib/ids.js';
import { checkinContextSql } from '../server/modules/attendance/records.repository.js';
import { codeSessionRowsQuery } from '../server/modules/checkin/open-sessions.repository.js';
import { statusCountsByStudentQuery } from '../server/modules/reports/reports.repository.js';
import { claimQuery, listDeliveriesQuery } from '../server/modules/webhooks/webhooks.repository.js';
import { buildClassroom, openWithCode, scheduleSession } from './support/classroom.js';
import { userWithToken } from './support/factories.js';
import { filteringNodes, postgresGenericPlan, postgresIndexPlan, sqlitePlan, sqlLiterals } from './support/query-plans.js';
import { describeEachDialect, type TestContext } from './support/test-app.js';

/**
 * A school with a history: another course with 300 sessions closed a month ago; in a course of its
 * own, a student attended one held session (closed just now) and checks in to the next, open one.
 */
async function campusWithHistory(ctx: TestContext) {
  const other = await buildClassroom(ctx, 0);
  const template = await ctx.db.selectFrom('sessions').selectAll().where('id', '=', await scheduleSession(ctx, other)).executeTakeFirstOrThrow();
  const monthAgo = new Date(Date.now() - 30 * 86400_000).toISOString();
  const history = Array.from({ length: 300 }, (_, i) => ({ ...template, id: newId(), number: i + 2, state: 'closed' as const, opened_at: monthAgo, closed_at: monthAgo }));
  for (let i = 0; i < history.length; i += 50) await ctx.db.insertInto('sessions').values(history.slice(i, i + 50)).execute();

  const room = await buildClassroom(ctx, 2);
  const [student] = room.students;
  const held = await scheduleSession(ctx, room, -120);
  const heldCode = await openWithCode(ctx, room, held);
  expect((await ctx.request({ method: 'POST', url: '/api/checkin', token: student.token, payload: { code: heldCode.code } })).statusCode).toBe(201);
  expect((await ctx.request({ method: 'POST', url: `/api/sessions/${held}/close`, token: room.teacherToken })).statusCode).toBe(200);
  const open = await scheduleSession(ctx, room);
  const { code } = await openWithCode(ctx, room, open);
  return { room, student, held, open, code, oldSessionIds: history.map((h) => h.id) };
}

describeEachDialect('a school with a history', (ctx) => {
  it("the attendance figure of a check-in reads the course's held sessions, not every closed session of the school", async () => {
    const { room, student, open, code } = await campusWithHistory(ctx());
    const res = await ctx().request({ method: 'POST', url: '/api/checkin', token: student.token, payload: { code } });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().attendance).toEqual({ percentage: 100, attended: 1, total: 1 });

    // The figure where the server reads it alone, which is the student's own page's query (GET
    // /api/me/attendance): by the course or the student's records, never by an index led by the state.
    const counts = [statusCountsByStudentQuery(ctx().db, room.courseId, student.id)];
    if (ctx().dialect === 'postgres') {
      // The check-in's read as the server prepares it, planned generically on this new database.
      const values = [open, 'a-phone-never-seen', student.id, room.courseId, true, true];
      const plan = await postgresGenericPlan(ctx(), checkinContextSql(false), sqlLiterals(values));
      expect(plan.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name'])).toEqual([]);
      expect(filteringNodes(plan)).toEqual([]);
      for (const q of counts) expect(filteringNodes(await postgresIndexPlan(ctx(), q.compile()))).toEqual([]);
    } else {
      for (const q of counts) {
        const details = (await sqlitePlan(ctx(), q.compile())).join('\n');
        expect(details).toMatch(/sessions_course_|attendance_records_student_idx/);
        expect(details).not.toMatch(/sessions_state_/);
      }
    }
    const mine = await ctx().request({ method: 'GET', url: `/api/me/attendance?courseId=${room.courseId}`, token: student.token });
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.json().items[0]).toMatchObject({ attended: 1, total: 1, percentage: 100 });
  });

  it("the open-session cache's full read finds the recently closed sessions by state and closing time", async () => {
    const { held, open, oldSessionIds } = await campusWithHistory(ctx());
    const full = codeSessionRowsQuery(ctx().db, new Date(Date.now() - 2 * 3600_000).toISOString(), null);
    const ids = (await full.execute()).map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining([held, open]));
    expect(ids.filter((id) => oldSessionIds.includes(id))).toEqual([]);
    const q = full.compile();
    if (ctx().dialect === 'postgres') {
      const plan = await postgresIndexPlan(ctx(), q);
      expect(plan.map((n) => n['Index Name'])).toContain('sessions_state_closed_idx');
      expect(filteringNodes(plan)).toEqual([]);
    } else {
      expect(await sqlitePlan(ctx(), q)).toContainEqual(expect.stringContaining('sessions_state_closed_idx (state=? AND closed_at>?)'));
    }
  });

  it("an endpoint's deliveries page walks them newest first by an index, all or in one state", async () => {
    const admin = await userWithToken(ctx(), 'admin');
    const created = await ctx().request({ method: 'POST', url: '/api/webhooks', token: admin.token, payload: { url: 'http://127.0.0.1:9/hook', events: ['*'] } });
    expect(created.statusCode, created.body).toBe(201);
    const webhookId: string = created.json().webhook.id;
    for (let i = 0; i < 3; i++) expect((await ctx().request({ method: 'POST', url: `/api/webhooks/${webhookId}/test`, token: admin.token })).statusCode).toBe(202);
    const page = await ctx().request({ method: 'GET', url: `/api/webhooks/${webhookId}/deliveries?limit=2`, token: admin.token });
    expect(page.statusCode, page.body).toBe(200);
    const ids = page.json().items.map((d: { id: string }) => d.id);
    expect(ids).toEqual([...ids].sort().reverse());

    for (const state of [undefined, 'failed'] as const) {
      const q = listDeliveriesQuery(ctx().db, { webhookId, state, limit: 50 }).compile();
      const index = state ? 'webhook_deliveries_webhook_state_id_idx' : 'webhook_deliveries_webhook_id_idx';
      if (ctx().dialect === 'postgres') {
        const plan = await postgresIndexPlan(ctx(), q);
        expect(plan.map((n) => n['Index Name'])).toContain(index);
        expect(plan.map((n) => n['Node Type'])).not.toContain('Sort');
      } else {
        const details = await sqlitePlan(ctx(), q);
        expect(details).toContainEqual(expect.stringContaining(index));
        expect(details.join('\n')).not.toContain('TEMP B-TREE');
      }
    }

    // The delivery job's claim reads the pending deliveries by (state, next attempt), never the whole
    // table (no other index of the queue is needed: migration 0017 dropped the one it once read).
    const now = new Date().toISOString();
    const claim = claimQuery({ now, lockedUntil: now, limit: 200, postgres: ctx().dialect === 'postgres' }).compile(ctx().db);
    if (ctx().dialect === 'postgres') {
      const plan = (await postgresIndexPlan(ctx(), claim)).filter((n) => n['Relation Name'] === 'webhook_deliveries');
      expect(plan.filter((n) => n['Index Name'] === 'webhook_deliveries_due_idx').length).toBeGreaterThanOrEqual(2);
      expect(plan.map((n) => n['Node Type'])).not.toContain('Seq Scan');
    } else {
      const details = await sqlitePlan(ctx(), claim);
      expect(details.filter((d) => d.includes('webhook_deliveries_due_idx (state=?'))).toHaveLength(2);
      expect(details.join('\n')).not.toMatch(/SCAN (webhook_deliveries|d)\b/);
    }
  });
});

import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../server/db/kysely.js';
import { newId, nowIso } from '../server/lib/ids.js';
import { describeEachDialect, type TestContext } from './support/test-app.js';
import { buildUser, loginAs, userWithToken } from './support/factories.js';

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json().code).toBe(code);
}

async function createSection(db: Db, name: string): Promise<string> {
  const id = newId();
  await db.insertInto('sections').values({ id, name, department_id: null, cohort: null, created_at: nowIso() }).execute();
  return id;
}

function auditFor(db: Db, entityId: string) {
  return db.selectFrom('audit_events').selectAll().where('entity_id', '=', entityId).orderBy('id').execute();
}

async function countAudit(db: Db): Promise<number> {
  const r = await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

function importCsv(ctx: TestContext, token: string, csv: string, query = '') {
  return ctx.request({ method: 'POST', url: `/api/users/import${query}`, token, payload: csv, headers: { 'content-type': 'text/csv' } });
}

/** Walks every page of a list and returns the ids in order. */
async function allPages(ctx: TestContext, token: string, query: string, limit: number) {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const url: string = `/api/users?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await ctx.request({ method: 'GET', url, token });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json();
    expect(page.items.length).toBeLessThanOrEqual(limit);
    ids.push(...page.items.map((u: { id: string }) => u.id));
    cursor = page.nextCursor;
    pages++;
    expect(pages).toBeLessThan(100);
  } while (cursor);
  return { ids, pages };
}

describeEachDialect('users: admin management', (ctx) => {
  let admin: Awaited<ReturnType<typeof userWithToken>>;
  let teacher: Awaited<ReturnType<typeof userWithToken>>;
  let student: Awaited<ReturnType<typeof userWithToken>>;

  beforeAll(async () => {
    admin = await userWithToken(ctx(), 'admin');
    teacher = await userWithToken(ctx(), 'teacher');
    student = await userWithToken(ctx(), 'student');
  });

  const post = (payload: Record<string, unknown>, token = admin.token) => ctx().request({ method: 'POST', url: '/api/users', token, payload });

  describe('create', () => {
    it('creates a user (201) with every field, and audits it', async () => {
      const sectionId = await createSection(ctx().db, 'Create 1A');
      const res = await post({
        role: 'student',
        username: 'Marie.Curie',
        name: 'Marie Curie',
        email: 'Marie@Curie.test',
        password: 'radium-and-polonium',
        phone: '+33 1 00',
        studentNumber: 'MC-1867',
        sectionId,
      });
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json();
      expect(body).toEqual({
        id: expect.any(String),
        role: 'student',
        username: 'marie.curie',
        name: 'Marie Curie',
        email: 'marie@curie.test',
        phone: '+33 1 00',
        studentNumber: 'MC-1867',
        staffNumber: null,
        sectionId,
        guardianEmail: null,
        active: true,
        createdAt: expect.any(String),
      });
      expect(new Date(body.createdAt).getTime()).not.toBeNaN();
      expect(await loginAs(ctx(), { username: 'marie.curie', password: 'radium-and-polonium' })).toEqual(expect.any(String));

      const audit = await auditFor(ctx().db, body.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ action: 'user.created', actor_id: admin.user.id, entity: 'user' });
      expect(audit[0].after).not.toContain('radium');
      expect(audit[0].after).not.toContain('argon2');
    });

    it('creates a user without a password (cannot sign in yet)', async () => {
      const res = await post({ role: 'teacher', username: 'nopass', name: 'No Password', staffNumber: 'NP-1' });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ role: 'teacher', email: null, staffNumber: 'NP-1', studentNumber: null });
      const login = await ctx().request({ method: 'POST', url: '/api/auth/login', payload: { username: 'nopass', password: 'anything-at-all' } });
      expectProblem(login, 401, 'invalid_credentials');
    });

    it('answers 409 conflict naming the taken field', async () => {
      const base = await post({
        role: 'student',
        username: 'dup-base',
        name: 'Dup Base',
        email: 'dup@base.test',
        studentNumber: 'DUP-1',
      });
      expect(base.statusCode, base.body).toBe(201);
      const staff = await post({ role: 'teacher', username: 'dup-staff', name: 'Dup Staff', staffNumber: 'DUP-T1' });
      expect(staff.statusCode, staff.body).toBe(201);

      const cases: [Record<string, unknown>, string][] = [
        [{ role: 'student', username: 'dup-base', name: 'X', studentNumber: 'DUP-2' }, 'username'],
        [{ role: 'student', username: 'DUP-BASE', name: 'X', studentNumber: 'DUP-3' }, 'username'],
        [{ role: 'student', username: 'dup-other1', name: 'X', email: 'DUP@base.test', studentNumber: 'DUP-4' }, 'email'],
        [{ role: 'student', username: 'dup-other2', name: 'X', studentNumber: 'DUP-1' }, 'studentNumber'],
        [{ role: 'teacher', username: 'dup-other3', name: 'X', staffNumber: 'DUP-T1' }, 'staffNumber'],
      ];
      for (const [payload, field] of cases) {
        const res = await post(payload);
        expectProblem(res, 409, 'conflict');
        expect(res.json().errors).toEqual([{ path: field, message: expect.any(String) }]);
        expect(res.json().detail).toContain(field);
      }
      const rows = await ctx().db.selectFrom('users').select('username').where('username', 'like', 'dup-other%').execute();
      expect(rows).toEqual([]);
    });

    it('rejects a student without a student number and an unknown section with 400', async () => {
      const noNumber = await post({ role: 'student', username: 'nonumber', name: 'No Number' });
      expectProblem(noNumber, 400, 'validation_failed');
      expect(noNumber.json().errors).toEqual([{ path: 'studentNumber', message: expect.any(String) }]);
      const nullNumber = await post({ role: 'student', username: 'nonumber', name: 'No Number', studentNumber: null });
      expectProblem(nullNumber, 400, 'validation_failed');
      const badSection = await post({ role: 'teacher', username: 'badsection', name: 'Bad Section', sectionId: 'no-such-section' });
      expectProblem(badSection, 400, 'validation_failed');
      expect(badSection.json().errors).toEqual([{ path: 'sectionId', message: expect.any(String) }]);
      const rows = await ctx().db.selectFrom('users').select('id').where('username', 'in', ['nonumber', 'badsection']).execute();
      expect(rows).toEqual([]);
    });

    it('is for admins only', async () => {
      expectProblem(await post({ role: 'student', username: 'byteacher', name: 'X', studentNumber: 'BT-1' }, teacher.token), 403, 'forbidden');
      expectProblem(await post({ role: 'admin', username: 'bystudent', name: 'X' }, student.token), 403, 'forbidden');
    });
  });

  describe('list', () => {
    let sectionA: string;
    let sectionB: string;
    const made: Record<string, string> = {};

    beforeAll(async () => {
      sectionA = await createSection(ctx().db, 'List A');
      sectionB = await createSection(ctx().db, 'List B');
      const specs = [
        ['zebra1', 'student', 'Zelda Zebrafinch', sectionA],
        ['zebra2', 'student', 'Zoe Zebrafinch', sectionA],
        ['zebra3', 'student', 'Zack Quagga', sectionB],
        ['zebra4', 'teacher', 'Zora Zebrafinch', sectionB],
        ['zebra5', 'student', 'Zeno Zebrafinch', sectionA],
      ] as const;
      for (const [username, role, name, section_id] of specs) {
        made[username] = (await buildUser(ctx().db, { username, role, name, section_id, email: `${username}@zoo.test` })).id;
      }
      await ctx().db.updateTable('users').set({ active: 0 }).where('id', '=', made.zebra5).execute();
    });

    const list = async (query: string, token = admin.token) => {
      const res = await ctx().request({ method: 'GET', url: `/api/users?${query}`, token });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { items: { id: string; username: string; role: string; active: boolean }[]; nextCursor: string | null };
    };
    const names = (page: { items: { username: string }[] }) => page.items.map((u) => u.username).sort();

    it('filters by role', async () => {
      const page = await list('role=teacher&limit=200');
      expect(page.items.every((u) => u.role === 'teacher')).toBe(true);
      expect(names(page)).toContain('zebra4');
      expect(names(page)).not.toContain('zebra1');
    });

    it('searches name, username, e-mail and number with q, case-insensitively', async () => {
      expect(names(await list('q=ZEBRAFINCH'))).toEqual(['zebra1', 'zebra2', 'zebra4']);
      expect(names(await list('q=quagga'))).toEqual(['zebra3']);
      expect(names(await list('q=zebra3'))).toEqual(['zebra3']);
      expect(names(await list('q=zebra1%40zoo'))).toEqual(['zebra1']);
      expect(names(await list('q=zebrafinch&role=student'))).toEqual(['zebra1', 'zebra2']);
      const sn = (await ctx().db.selectFrom('users').select('student_number').where('id', '=', made.zebra2).executeTakeFirstOrThrow())
        .student_number!;
      expect(names(await list(`q=${encodeURIComponent(sn.toLowerCase())}`))).toEqual(['zebra2']);
    });

    it('treats % and _ in q as plain characters', async () => {
      expect((await list('q=%25')).items).toEqual([]);
      expect((await list('q=zebr_1')).items).toEqual([]);
    });

    it('filters by section and by active (default active only)', async () => {
      expect(names(await list(`sectionId=${sectionA}`))).toEqual(['zebra1', 'zebra2']);
      expect(names(await list(`sectionId=${sectionA}&active=all`))).toEqual(['zebra1', 'zebra2', 'zebra5']);
      expect(names(await list(`sectionId=${sectionA}&active=false`))).toEqual(['zebra5']);
      expect(names(await list(`sectionId=${sectionB}&role=student`))).toEqual(['zebra3']);
    });

    it('pages with a cursor without duplicates or gaps', async () => {
      const sectionC = await createSection(ctx().db, 'List C');
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await buildUser(ctx().db, { section_id: sectionC })).id);
      const paged = await allPages(ctx(), admin.token, `sectionId=${sectionC}`, 3);
      expect(paged.pages).toBe(3);
      expect(paged.ids).toEqual(ids);

      // The whole table, page by page, is exactly the whole table in one go.
      const everyone = await list('active=all&limit=200');
      expect(everyone.nextCursor).toBeNull();
      const walked = await allPages(ctx(), admin.token, 'active=all', 4);
      expect(new Set(walked.ids).size).toBe(walked.ids.length);
      expect(walked.ids).toEqual(everyone.items.map((u) => u.id));
    });

    it('lets teachers list active students only', async () => {
      const page = await list('limit=200', teacher.token);
      expect(page.items.length).toBeGreaterThan(0);
      expect(page.items.every((u) => u.role === 'student' && u.active)).toBe(true);
      expect(names(await list('q=zebrafinch', teacher.token))).toEqual(['zebra1', 'zebra2']);
      expect(names(await list('q=zebrafinch&active=all', teacher.token))).toEqual(['zebra1', 'zebra2']);
      expect(names(await list('role=student&q=zebrafinch', teacher.token))).toEqual(['zebra1', 'zebra2']);
      for (const role of ['teacher', 'admin']) {
        expectProblem(await ctx().request({ method: 'GET', url: `/api/users?role=${role}`, token: teacher.token }), 403, 'forbidden');
      }
      expectProblem(await ctx().request({ method: 'GET', url: '/api/users', token: student.token }), 403, 'forbidden');
    });
  });

  describe('get, patch, delete', () => {
    it('gets and patches a user, auditing the change', async () => {
      const u = await buildUser(ctx().db, { role: 'teacher' });
      const got = await ctx().request({ method: 'GET', url: `/api/users/${u.id}`, token: admin.token });
      expect(got.statusCode).toBe(200);
      expect(got.json()).toMatchObject({ id: u.id, role: 'teacher', username: u.username });

      const patched = await ctx().request({
        method: 'PATCH',
        url: `/api/users/${u.id}`,
        token: admin.token,
        payload: { name: 'Renamed Teacher', staffNumber: 'RT-9', email: null },
      });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json()).toMatchObject({ id: u.id, name: 'Renamed Teacher', staffNumber: 'RT-9', email: null });
      expect((await ctx().request({ method: 'GET', url: `/api/users/${u.id}`, token: admin.token })).json().name).toBe('Renamed Teacher');

      const audit = await auditFor(ctx().db, u.id);
      expect(audit.map((a) => a.action)).toEqual(['user.updated']);
      expect(JSON.parse(audit[0].before!).name).not.toBe('Renamed Teacher');
      expect(JSON.parse(audit[0].after!).name).toBe('Renamed Teacher');
      expect(audit[0].actor_id).toBe(admin.user.id);
    });

    it('makes a teacher a student only with a student number, and clears the staff number', async () => {
      const u = await buildUser(ctx().db, { role: 'teacher' });
      const url = `/api/users/${u.id}`;
      expectProblem(await ctx().request({ method: 'PATCH', url, token: admin.token, payload: { role: 'student' } }), 400, 'validation_failed');
      const ok = await ctx().request({ method: 'PATCH', url, token: admin.token, payload: { role: 'student', studentNumber: 'NEW-S-1' } });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toMatchObject({ role: 'student', studentNumber: 'NEW-S-1', staffNumber: null });
    });

    it('answers 409 on a taken username and 404 for an unknown id', async () => {
      const a = await buildUser(ctx().db);
      const b = await buildUser(ctx().db);
      const res = await ctx().request({ method: 'PATCH', url: `/api/users/${b.id}`, token: admin.token, payload: { username: a.username } });
      expectProblem(res, 409, 'conflict');
      expect(res.json().errors).toEqual([{ path: 'username', message: expect.any(String) }]);
      expectProblem(await ctx().request({ method: 'GET', url: '/api/users/nope', token: admin.token }), 404, 'not_found');
      expectProblem(
        await ctx().request({ method: 'PATCH', url: '/api/users/nope', token: admin.token, payload: { name: 'X' } }),
        404,
        'not_found',
      );
      expectProblem(await ctx().request({ method: 'DELETE', url: '/api/users/nope', token: admin.token }), 404, 'not_found');
    });

    it('DELETE deactivates: kept and listed with active=all, cannot sign in, sessions end', async () => {
      const u = await buildUser(ctx().db, { role: 'student' });
      const pair = (
        await ctx().request({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: u.password } })
      ).json();
      const del = await ctx().request({ method: 'DELETE', url: `/api/users/${u.id}`, token: admin.token });
      expect(del.statusCode, del.body).toBe(204);
      expect(del.body).toBe('');

      const got = await ctx().request({ method: 'GET', url: `/api/users/${u.id}`, token: admin.token });
      expect(got.json()).toMatchObject({ id: u.id, active: false });
      const login = await ctx().request({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: u.password } });
      expectProblem(login, 401, 'invalid_credentials');

      const listed = (await ctx().request({ method: 'GET', url: `/api/users?q=${u.username}`, token: admin.token })).json();
      expect(listed.items).toEqual([]);
      const all = (await ctx().request({ method: 'GET', url: `/api/users?q=${u.username}&active=all`, token: admin.token })).json();
      expect(all.items.map((x: { id: string }) => x.id)).toEqual([u.id]);

      // Tokens issued before the deactivation stop working too.
      expectProblem(
        await ctx().request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: pair.refreshToken } }),
        401,
        'unauthenticated',
      );
      expectProblem(await ctx().request({ method: 'GET', url: '/api/auth/me', token: pair.accessToken }), 401, 'unauthenticated');
      expectProblem(
        await ctx().request({ method: 'PATCH', url: '/api/auth/me', token: pair.accessToken, payload: { name: 'Still here' } }),
        401,
        'unauthenticated',
      );

      const audit = await auditFor(ctx().db, u.id);
      expect(audit.map((a) => a.action)).toEqual(['user.deactivated']);
    });

    it('a deactivated admin’s token loses its powers at once', async () => {
      const other = await userWithToken(ctx(), 'admin');
      const del = await ctx().request({ method: 'DELETE', url: `/api/users/${other.user.id}`, token: admin.token });
      expect(del.statusCode).toBe(204);
      expectProblem(
        await ctx().request({ method: 'POST', url: '/api/users', token: other.token, payload: { role: 'admin', username: 'ghost', name: 'G' } }),
        401,
        'unauthenticated',
      );
    });

    it('an admin cannot deactivate themself, by DELETE or by PATCH', async () => {
      const del = await ctx().request({ method: 'DELETE', url: `/api/users/${admin.user.id}`, token: admin.token });
      expect(del.statusCode, del.body).toBe(409);
      expect(del.headers['content-type']).toMatch(/^application\/problem\+json/);
      // Even with another admin around (so it is not the last-admin rule that stops it).
      await buildUser(ctx().db, { role: 'admin' });
      const patch = await ctx().request({ method: 'PATCH', url: `/api/users/${admin.user.id}`, token: admin.token, payload: { active: false } });
      expect(patch.statusCode, patch.body).toBe(409);
      const me = await ctx().request({ method: 'GET', url: '/api/auth/me', token: admin.token });
      expect(me.json().active).toBe(true);
    });

    it('is for admins only (teachers cannot read single users)', async () => {
      for (const token of [teacher.token, student.token]) {
        for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
          const res = await ctx().request({
            method,
            url: `/api/users/${student.user.id}`,
            token,
            ...(method === 'PATCH' ? { payload: { name: 'Hacked' } } : {}),
          });
          expectProblem(res, 403, 'forbidden');
        }
      }
      expect((await ctx().request({ method: 'GET', url: `/api/users/${student.user.id}`, token: admin.token })).json().name).not.toBe(
        'Hacked',
      );
    });
  });

  describe('CSV import', () => {
    const header = 'role,username,name,email,studentNumber,staffNumber,section,password';

    it('imports a good file: counts, sections by name, passwords that work, audit', async () => {
      const sectionId = await createSection(ctx().db, 'Import 2B');
      const csv = [
        header,
        'student,imp-ann,Ann Import,ann@imp.test,IMP-1,,Import 2B,ann-password-1',
        'student,imp-bob,"Bob, Import",,IMP-2,,import 2b,',
        'TEACHER,imp-tess,Tess Import,tess@imp.test,,IMP-T1,,tess-password-1',
        '',
      ].join('\n');
      const before = await countAudit(ctx().db);
      const res = await importCsv(ctx(), admin.token, csv);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ created: 3, updated: 0, errors: [] });

      expect(await loginAs(ctx(), { username: 'imp-ann', password: 'ann-password-1' })).toEqual(expect.any(String));
      expect(await loginAs(ctx(), { username: 'tess@imp.test', password: 'tess-password-1' })).toEqual(expect.any(String));
      const bob = await ctx().db.selectFrom('users').selectAll().where('username', '=', 'imp-bob').executeTakeFirstOrThrow();
      expect(bob).toMatchObject({ name: 'Bob, Import', section_id: sectionId, student_number: 'IMP-2', password_hash: null, role: 'student' });
      const tess = await ctx().db.selectFrom('users').selectAll().where('username', '=', 'imp-tess').executeTakeFirstOrThrow();
      expect(tess).toMatchObject({ role: 'teacher', staff_number: 'IMP-T1', student_number: null });

      expect((await countAudit(ctx().db)) - before).toBe(3);
      const audit = await auditFor(ctx().db, bob.id);
      expect(audit).toMatchObject([{ action: 'user.imported', actor_id: admin.user.id }]);
    });

    it('reports every bad line with its line number and writes nothing (all-or-nothing)', async () => {
      await createSection(ctx().db, 'Import 3C');
      const existing = await buildUser(ctx().db, { role: 'student', student_number: 'TAKEN-1' });
      await buildUser(ctx().db, { role: 'student', student_number: 'TAKEN-2' });
      const csv = [
        header, // 1
        'student,bad-ok1,Good One,,BAD-1,,Import 3C,good-password-1', // 2
        'student,bad-noname,,,BAD-2,,,', // 3: missing name
        'janitor,bad-role,Bad Role,,BAD-3,,,', // 4: bad role
        'student,bad-email,Bad Email,not-an-email,BAD-4,,,', // 5: bad e-mail
        '', // 6: blank lines still count as lines of the file
        'student,bad-section,Bad Section,,BAD-5,,Nowhere,', // 7: unknown section
        'student,bad-dupnum,Dup Number,,BAD-1,,,', // 8: repeats line 2's studentNumber
        'student,bad-taken,Taken Number,,TAKEN-1,,,', // 9: another user's studentNumber
        'student,bad-nonumber,No Number,,,,,', // 10: a student needs a number
        'teacher,bad-ok2,Good Two,,,BAD-T1,,', // 11
        'student,bad-many,,also-not-an-email,TAKEN-2,,Nowhere,', // 12: four problems, all reported at once
      ].join('\n');
      const beforeAudit = await countAudit(ctx().db);
      const res = await importCsv(ctx(), admin.token, csv);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.created).toBe(0);
      expect(body.updated).toBe(0);
      expect(body.errors.map((e: { line: number }) => e.line)).toEqual([3, 4, 5, 7, 8, 9, 10, 12]);
      for (const e of body.errors) expect(e.message).toEqual(expect.any(String));
      const msg = (line: number) => body.errors.find((e: { line: number }) => e.line === line).message as string;
      expect(msg(3)).toMatch(/name/);
      expect(msg(4)).toMatch(/role/);
      expect(msg(5)).toMatch(/email/);
      expect(msg(7)).toMatch(/Nowhere/);
      expect(msg(8)).toMatch(/BAD-1/);
      expect(msg(8)).toMatch(/line 2/);
      expect(msg(9)).toMatch(/TAKEN-1/);
      // One round names every problem of a line, not only the first.
      expect(msg(12).split('; ').map((m) => m.split(':')[0]).sort()).toEqual(['email', 'name', 'section', 'studentNumber']);

      const written = await ctx().db.selectFrom('users').select('username').where('username', 'like', 'bad-%').execute();
      expect(written).toEqual([]);
      expect(await countAudit(ctx().db)).toBe(beforeAudit);
      const untouched = await ctx().db.selectFrom('users').select('name').where('id', '=', existing.id).executeTakeFirstOrThrow();
      expect(untouched.name).not.toBe('Taken Number');

      const partial = await importCsv(ctx(), admin.token, csv, '?partial=true');
      expect(partial.statusCode, partial.body).toBe(200);
      expect(partial.json().created).toBe(2);
      expect(partial.json().errors.map((e: { line: number }) => e.line)).toEqual([3, 4, 5, 7, 8, 9, 10, 12]);
      const nowWritten = await ctx().db.selectFrom('users').select('username').where('username', 'like', 'bad-%').orderBy('username').execute();
      expect(nowWritten.map((r) => r.username)).toEqual(['bad-ok1', 'bad-ok2']);
      expect((await countAudit(ctx().db)) - beforeAudit).toBe(2);
    });

    it('numbers lines by the file even with quoted line breaks', async () => {
      const csv = [header, 'student,ml-1,"Two\nLines",,ML-1,,,', 'student,ml-2,,,ML-2,,,'].join('\r\n');
      const res = await importCsv(ctx(), admin.token, csv);
      expect(res.json().errors.map((e: { line: number }) => e.line)).toEqual([4]);
    });

    it('updates users that already exist (by username)', async () => {
      const csv1 = [header, 'student,upd-1,First Name,,UPD-1,,,first-password-1', 'teacher,upd-2,Second,,,UPD-T2,,'].join('\n');
      expect((await importCsv(ctx(), admin.token, csv1)).json()).toEqual({ created: 2, updated: 0, errors: [] });
      const pair = (
        await ctx().request({ method: 'POST', url: '/api/auth/login', payload: { username: 'upd-1', password: 'first-password-1' } })
      ).json();
      const id1 = pair.user.id as string;

      const csv2 = [
        header,
        'student,UPD-1,Renamed First,upd1@imp.test,UPD-1,,,second-password-1',
        'teacher,upd-2,Renamed Second,,,UPD-T2,,',
        'student,upd-3,Third,,UPD-3,,,',
      ].join('\n');
      const res = await importCsv(ctx(), admin.token, csv2);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ created: 1, updated: 2, errors: [] });
      const row = await ctx().db.selectFrom('users').selectAll().where('id', '=', id1).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ name: 'Renamed First', email: 'upd1@imp.test', username: 'upd-1' });
      expect(await loginAs(ctx(), { username: 'upd-1', password: 'second-password-1' })).toEqual(expect.any(String));
      // A password set by import signs out the old sessions, as any password change does.
      expectProblem(
        await ctx().request({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: pair.refreshToken } }),
        401,
        'unauthenticated',
      );
      const audit = await auditFor(ctx().db, id1);
      expect(audit.map((a) => a.action)).toEqual(['user.imported', 'user.imported']);
    });

    it('rejects a bad header row with 400 and an empty file too', async () => {
      expectProblem(await importCsv(ctx(), admin.token, 'foo,bar,baz\nx,y,z\n'), 400, 'validation_failed');
      expectProblem(await importCsv(ctx(), admin.token, 'role,username\nstudent,x\n'), 400, 'validation_failed');
      expectProblem(await importCsv(ctx(), admin.token, `${header},shoeSize\n`), 400, 'validation_failed');
      expectProblem(await importCsv(ctx(), admin.token, ''), 400, 'validation_failed');
      expectProblem(await importCsv(ctx(), admin.token, `${header}\n"unterminated,quote\n`), 400, 'validation_failed');
    });

    it('is for admins only', async () => {
      const csv = `${header}\nstudent,by-teacher,X,,BT-9,,,\n`;
      expectProblem(await importCsv(ctx(), teacher.token, csv), 403, 'forbidden');
      expectProblem(await importCsv(ctx(), student.token, csv), 403, 'forbidden');
    });
  });
});

describeEachDialect('users: the last administrator', (ctx) => {
  it('cannot be demoted or deactivated, by PATCH or by import; a second admin changes that', async () => {
    const first = await userWithToken(ctx(), 'admin');
    const url = `/api/users/${first.user.id}`;
    expectProblem(
      await ctx().request({ method: 'PATCH', url, token: first.token, payload: { role: 'teacher' } }),
      409,
      'last_admin',
    );
    const csv = `role,username,name\nteacher,${first.user.username},Demoted By Import\n`;
    const imported = await ctx().request({
      method: 'POST',
      url: '/api/users/import',
      token: first.token,
      payload: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.json()).toMatchObject({ updated: 0, errors: [{ line: 2 }] });
    const partial = await ctx().request({
      method: 'POST',
      url: '/api/users/import?partial=true',
      token: first.token,
      payload: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(partial.json()).toMatchObject({ updated: 0, errors: [{ line: 2 }] });
    expect((await ctx().request({ method: 'GET', url: '/api/auth/me', token: first.token })).json().role).toBe('admin');

    const second = await userWithToken(ctx(), 'admin');
    const demote = await ctx().request({ method: 'PATCH', url, token: second.token, payload: { role: 'teacher' } });
    expect(demote.statusCode, demote.body).toBe(200);
    // The demoted admin's token no longer opens admin endpoints.
    expectProblem(await ctx().request({ method: 'GET', url: '/api/users?role=admin', token: first.token }), 403, 'forbidden');
    expectProblem(
      await ctx().request({ method: 'PATCH', url: `/api/users/${second.user.id}`, token: second.token, payload: { role: 'student', studentNumber: 'L-1' } }),
      409,
      'last_admin',
    );
  });
});

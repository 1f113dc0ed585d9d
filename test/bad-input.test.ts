import { createSigner } from 'fast-jwt';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachDialect, TEST_SECRET } from './support/test-app.js';
import { buildUser, userWithToken } from './support/factories.js';

interface Problemish {
  status: number;
  code: string;
  errors?: { path: string; message: string }[];
}

/** Every refusal is a problem document with a code, never a 5xx. */
function expectProblem(res: LightMyRequestResponse, status?: number, code?: string): Problemish {
  expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, res.body).toBeLessThan(500);
  if (status !== undefined) expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json() as Problemish;
  expect(body.status).toBe(res.statusCode);
  expect(body.code).toEqual(expect.any(String));
  if (code !== undefined) expect(body.code).toBe(code);
  return body;
}

function expectValidation(res: LightMyRequestResponse, ...paths: string[]) {
  const body = expectProblem(res, 400, 'validation_failed');
  expect(Array.isArray(body.errors)).toBe(true);
  expect(body.errors!.length).toBeGreaterThan(0);
  for (const e of body.errors!) {
    expect(e.path).toEqual(expect.any(String));
    expect(e.message).toEqual(expect.any(String));
  }
  for (const p of paths) expect(body.errors!.map((e) => e.path)).toContain(p);
}

const json = { 'content-type': 'application/json' };

describeEachDialect('bad input never yields a 500', (ctx) => {
  let admin: string;
  let studentId: string;

  beforeAll(async () => {
    admin = (await userWithToken(ctx(), 'admin')).token;
    studentId = (await buildUser(ctx().db)).id;
  });

  const req = (opts: InjectOptions & { token?: string }) => ctx().request(opts);

  describe('bodies', () => {
    it('malformed JSON → 400 validation_failed', async () => {
      for (const payload of ['{"username":', '{username: "a"}', "{'a':1}", '{"a":1}}', 'nul', '\u0000']) {
        expectValidation(await req({ method: 'POST', url: '/api/auth/login', payload, headers: json }), 'body');
      }
      expectValidation(await req({ method: 'POST', url: '/api/users', token: admin, payload: '{"role":', headers: json }), 'body');
    });

    it('an empty JSON body, null, an array or a string → 400', async () => {
      expectValidation(await req({ method: 'POST', url: '/api/auth/login', payload: '', headers: json }));
      for (const payload of ['null', '[]', '"text"', '42', 'true']) {
        expectValidation(await req({ method: 'POST', url: '/api/auth/login', payload, headers: json }));
      }
    });

    it('prototype-pollution keys → 400', async () => {
      for (const payload of ['{"__proto__":{"admin":true},"username":"a","password":"b"}', '{"constructor":{"prototype":{"x":1}}}']) {
        expectValidation(await req({ method: 'POST', url: '/api/auth/login', payload, headers: json }));
      }
    });

    it('wrong types → 400 naming each field', async () => {
      expectValidation(
        await req({ method: 'POST', url: '/api/auth/login', payload: { username: 123, password: true } }),
        'username',
        'password',
      );
      expectValidation(
        await req({ method: 'POST', url: '/api/users', token: admin, payload: { role: 'teacher', username: ['a'], name: { x: 1 } } }),
        'username',
        'name',
      );
      expectValidation(
        await req({ method: 'PATCH', url: `/api/users/${studentId}`, token: admin, payload: { active: 'yes' } }),
        'active',
      );
      expectValidation(await req({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: 7 } }), 'refreshToken');
    });

    it('missing fields → 400', async () => {
      expectValidation(await req({ method: 'POST', url: '/api/auth/login', payload: {} }), 'username', 'password');
      expectValidation(await req({ method: 'POST', url: '/api/users', token: admin, payload: { role: 'teacher' } }), 'username', 'name');
      expectValidation(await req({ method: 'POST', url: '/api/auth/password', token: admin, payload: { newPassword: 'long-enough-1' } }), 'currentPassword');
      expectValidation(await req({ method: 'POST', url: '/api/setup', payload: { username: 'x1' } }), 'token');
    });

    it('unknown fields → 400 (no mass assignment)', async () => {
      expectValidation(await req({ method: 'POST', url: '/api/auth/login', payload: { username: 'a', password: 'b', remember: true } }));
      expectValidation(
        await req({ method: 'POST', url: '/api/users', token: admin, payload: { role: 'teacher', username: 'x-unk', name: 'X', passwordHash: 'h' } }),
      );
      expectValidation(await req({ method: 'PATCH', url: `/api/users/${studentId}`, token: admin, payload: { id: 'other' } }));
      const row = await ctx().db.selectFrom('users').select('id').where('username', '=', 'x-unk').executeTakeFirst();
      expect(row).toBeUndefined();
    });

    it('unknown enum values → 400', async () => {
      expectValidation(
        await req({ method: 'POST', url: '/api/users', token: admin, payload: { role: 'janitor', username: 'x-enum', name: 'X' } }),
        'role',
      );
      expectValidation(await req({ method: 'PATCH', url: `/api/users/${studentId}`, token: admin, payload: { role: 'root' } }), 'role');
      expectValidation(await req({ method: 'GET', url: '/api/users?role=janitor', token: admin }), 'role');
      expectValidation(await req({ method: 'GET', url: '/api/users?active=maybe', token: admin }), 'active');
    });

    it('over-long and ill-formed strings → 400', async () => {
      const long = (n: number) => 'x'.repeat(n);
      const base = { role: 'teacher', username: 'x-long', name: 'X' };
      expectValidation(await req({ method: 'POST', url: '/api/users', token: admin, payload: { ...base, name: long(201) } }), 'name');
      expectValidation(await req({ method: 'POST', url: '/api/users', token: admin, payload: { ...base, username: long(65) } }), 'username');
      expectValidation(await req({ method: 'POST', url: '/api/users', token: admin, payload: { ...base, username: 'has space' } }), 'username');
      expectValidation(await req({ method: 'POST', url: '/api/users', token: admin, payload: { ...base, email: `${long(250)}@x.test` } }), 'email');
      expectValidation(await req({ method: 'POST', url: '/api/users', token: admin, payload: { ...base, email: 'not-an-email' } }), 'email');
      expectValidation(await req({ method: 'POST', url: '/api/users', token: admin, payload: { ...base, password: long(257) } }), 'password');
      expectValidation(await req({ method: 'POST', url: '/api/users', token: admin, payload: { ...base, password: 'short' } }), 'password');
      expectValidation(await req({ method: 'POST', url: '/api/users', token: admin, payload: { ...base, phone: long(41) } }), 'phone');
      expectValidation(await req({ method: 'POST', url: '/api/users', token: admin, payload: { ...base, name: '   ' } }), 'name');
      expectValidation(await req({ method: 'POST', url: '/api/auth/login', payload: { username: long(300), password: 'x' } }), 'username');
      expectValidation(await req({ method: 'PATCH', url: '/api/auth/me', token: admin, payload: { name: long(201) } }), 'name');
      expectValidation(await req({ method: 'GET', url: `/api/users?q=${long(101)}`, token: admin }), 'q');
      expectValidation(await req({ method: 'GET', url: `/api/users?cursor=${long(201)}`, token: admin }), 'cursor');
      expectValidation(await req({ method: 'GET', url: `/api/users/${long(65)}`, token: admin }), 'id');
    });

    it('NUL characters are refused or stored, never a 500', async () => {
      expectProblem(await req({ method: 'POST', url: '/api/auth/login', payload: { username: 'a\u0000b', password: 'x' } }));
      expectProblem(await req({ method: 'GET', url: '/api/users/%00', token: admin }));
      for (const url of ['/api/users?q=%00', '/api/users?cursor=%00']) {
        const res = await req({ method: 'GET', url, token: admin });
        expect(res.statusCode, res.body).toBeLessThan(500);
      }
      const me = await req({ method: 'PATCH', url: '/api/auth/me', token: admin, payload: { name: 'a\u0000b' } });
      expect(me.statusCode, me.body).toBeLessThan(500);
    });

    it('a body over 1 MiB → 413', async () => {
      const big = JSON.stringify({ username: 'a', password: 'x'.repeat(1024 * 1024 + 10) });
      expectProblem(await req({ method: 'POST', url: '/api/auth/login', payload: big, headers: json }), 413, 'payload_too_large');
      expectProblem(
        await req({ method: 'PATCH', url: '/api/auth/me', token: admin, payload: { name: 'y'.repeat(1100 * 1024) } }),
        413,
        'payload_too_large',
      );
      // The CSV import takes bigger files, up to its own limit.
      expectProblem(
        await req({
          method: 'POST',
          url: '/api/users/import',
          token: admin,
          payload: `role,username,name\n${'z'.repeat(6 * 1024 * 1024)}`,
          headers: { 'content-type': 'text/csv' },
        }),
        413,
        'payload_too_large',
      );
    });

    it('a Content-Length that does not match the body → 400', async () => {
      const res = await req({
        method: 'POST',
        url: '/api/auth/login',
        payload: '{"username":"a","password":"b"}',
        headers: { ...json, 'content-length': '5' },
      });
      expectProblem(res, 400);
    });

    it('wrong content types → 415 or 400', async () => {
      for (const type of ['application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'image/png']) {
        const res = await req({ method: 'POST', url: '/api/auth/login', payload: 'username=a&password=b', headers: { 'content-type': type } });
        expectProblem(res, 415, 'unsupported_media_type');
      }
      expectValidation(await req({ method: 'POST', url: '/api/auth/login', payload: 'hello', headers: { 'content-type': 'text/plain' } }));
      expectValidation(
        await req({ method: 'POST', url: '/api/users', token: admin, payload: 'role,username,name', headers: { 'content-type': 'text/csv' } }),
      );
      // The import wants CSV text, not JSON.
      expectValidation(await req({ method: 'POST', url: '/api/users/import', token: admin, payload: { role: 'student' } }));
    });
  });

  describe('query strings and paths', () => {
    it('nonsense paging parameters → 400', async () => {
      for (const q of ['limit=-1', 'limit=0', 'limit=abc', 'limit=1.5', 'limit=100000', 'limit=1e400', 'limit=', 'limit=1&limit=2']) {
        expectValidation(await req({ method: 'GET', url: `/api/users?${q}`, token: admin }), 'limit');
      }
      expectValidation(await req({ method: 'GET', url: '/api/users?cursor=a&cursor=b', token: admin }), 'cursor');
      expectValidation(
        await req({ method: 'POST', url: '/api/users/import?partial=yes', token: admin, payload: 'role,username,name\n', headers: { 'content-type': 'text/csv' } }),
        'partial',
      );
    });

    it('far-off dates in session ranges → 400, never a RangeError 500', async () => {
      const student = (await userWithToken(ctx(), 'student')).token;
      for (const q of ['to=9999-12-31', 'from=9999-12-31', 'from=0001-01-01', 'to=9999-12-31T23:59:59-14:00', 'from=2026-01-01&to=9999-12-31']) {
        expectValidation(await req({ method: 'GET', url: `/api/sessions?${q}`, token: admin }));
        expectValidation(await req({ method: 'GET', url: `/api/me/sessions?${q}`, token: student }));
      }
      // The report ranges (the overview and a teacher's own courses) take calendar dates only.
      for (const q of ['to=9999-12-31', 'from=0001-01-01', 'from=2026-01-01&to=9999-12-31', 'to=2026-02-30', 'from=2026-13-01']) {
        expectValidation(await req({ method: 'GET', url: `/api/reports/overview?${q}`, token: admin }));
        expectValidation(await req({ method: 'GET', url: `/api/reports/my-courses?${q}&departmentId=false`, token: admin }));
      }
      // The same kind of date in a body.
      const course = await req({ method: 'POST', url: '/api/courses', token: admin, payload: { code: 'Y10K', name: 'Far future' } });
      expect(course.statusCode, course.body).toBe(201);
      expectValidation(
        await req({
          method: 'POST',
          url: `/api/courses/${course.json().id}/sessions`,
          token: admin,
          payload: { startsAt: '9999-12-31T23:00:00-05:00', endsAt: '9999-12-31T23:30:00-05:00' },
        }),
      );
    });

    it('a garbled URL or an over-long path parameter → a 4xx problem', async () => {
      expectProblem(await req({ method: 'GET', url: '/api/users/%E0%A4%A', token: admin }), 400);
      expectProblem(await req({ method: 'GET', url: `/api/users/${'p'.repeat(500)}`, token: admin }));
    });

    it('an unknown /api route or method → 404 problem', async () => {
      expectProblem(await req({ method: 'GET', url: '/api/nope' }), 404, 'not_found');
      expectProblem(await req({ method: 'GET', url: '/api/users/x/y/z', token: admin }), 404, 'not_found');
      expectProblem(await req({ method: 'PUT', url: '/api/users', token: admin, payload: {} }), 404, 'not_found');
      expectProblem(await req({ method: 'DELETE', url: '/api/auth/me', token: admin }), 404, 'not_found');
      expectProblem(await req({ method: 'GET', url: '/api' }), 404, 'not_found');
    });
  });

  describe('credentials', () => {
    const sign = (opts: { key: string; iss: string; expiresIn: number; clockTimestamp?: number }, payload: Record<string, unknown>) =>
      createSigner({ ...opts, algorithm: 'HS256' })(payload) as string;

    it('garbage, forged, expired and device tokens → 401 unauthenticated on user endpoints', async () => {
      const user = await buildUser(ctx().db, { role: 'admin' });
      const tokens = [
        'garbage',
        'a.b.c',
        `${'x'.repeat(5000)}`,
        // Signed with another key.
        sign({ key: 'another-secret-another-secret-another-secret', iss: 'rollbook', expiresIn: 60_000 }, { sub: user.id, role: 'admin' }),
        // Right key, but expired an hour ago.
        sign(
          { key: TEST_SECRET, iss: 'rollbook', expiresIn: 60_000, clockTimestamp: Date.now() - 3_600_000 },
          { sub: user.id, role: 'admin' },
        ),
        // Right key, wrong issuer.
        sign({ key: TEST_SECRET, iss: 'someone-else', expiresIn: 60_000 }, { sub: user.id, role: 'admin' }),
        // Right key, but for a user that does not exist.
        sign({ key: TEST_SECRET, iss: 'rollbook', expiresIn: 60_000 }, { sub: 'no-such-user', role: 'admin' }),
        // Unsigned.
        `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: user.id, role: 'admin', iss: 'rollbook' })).toString('base64url')}.`,
        'rbd_0123456789abcdefghijklmnopqrstuvwxyz',
      ];
      for (const token of tokens) {
        for (const [method, url] of [
          ['GET', '/api/auth/me'],
          ['GET', '/api/users'],
          ['DELETE', `/api/users/${studentId}`],
        ] as const) {
          const res = await req({ method, url, token });
          expectProblem(res, 401, 'unauthenticated');
        }
      }
      for (const authorization of ['Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Token abc', 'bearer  ']) {
        expectProblem(await req({ method: 'GET', url: '/api/auth/me', headers: { authorization } }), 401, 'unauthenticated');
      }
      const stillActive = await req({ method: 'GET', url: `/api/users/${studentId}`, token: admin });
      expect(stillActive.json().active).toBe(true);
    });

    it('a garbage or mangled session cookie → 401', async () => {
      for (const cookie of ['rb_access=garbage', 'rb_access=%E0%A4%A; other=1', 'rb_access=; rb_access=x', 'rb_access']) {
        expectProblem(await req({ method: 'GET', url: '/api/auth/me', headers: { cookie } }), 401, 'unauthenticated');
      }
    });
  });
});

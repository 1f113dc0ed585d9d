// The fault suite: a server killed mid-burst, Redis and PostgreSQL made unreachable or frozen behind
// a proxy this test controls (test/support/fault-proxy.ts). The shared services are never touched.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../scripts/server-process.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { REDIS_TEST_URL } from './support/services.js';
import { TEST_SECRET } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { openAuthedSocket, type TestSocket } from './support/ws-client.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ADMIN = { username: 'fault-admin', password: 'fault-admin-password' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startNode(name: string, env: Record<string, string>): Promise<ServerProcess> {
  return startServerProcess(`fault-${name}`, {
    args: ['--import', 'tsx', 'server/main.ts'],
    cwd: projectRoot,
    env: { SECRET: TEST_SECRET, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'warn', JOBS: '0', PUBLIC_URL: 'http://rollbook.test', ...env },
    startTimeoutMs: 60_000,
    requestTimeoutMs: 20_000,
  });
}

/** Times one request; a hang shows as the request timeout's error. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - started };
}

interface Scene {
  adminToken: string;
  sessionId: string;
  code: string;
  deviceKey: string;
  students: { id: string; number: string; token: string }[];
}

let sceneCounter = 0;

/** An open session with `size` enrolled, signed-in students and a device bound to it, through the API. */
async function buildScene(node: ServerProcess, size: number): Promise<Scene> {
  const adminToken = await node.login(ADMIN.username, ADMIN.password);
  const tag = `${Date.now().toString(36)}${sceneCounter++}`;
  const ok = (what: string, res: { status: number; body: unknown }, status: number) => {
    if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Record<string, any>;
  };
  const course = ok('course', await node.request('POST', '/api/courses', { token: adminToken, body: { code: `F${tag}`, name: `Fault ${tag}` } }), 201);
  const students: Scene['students'] = [];
  for (let i = 0; i < size; i++) {
    const number = `F${tag}-${i}`;
    const user = ok(
      'student',
      await node.request('POST', '/api/users', {
        token: adminToken,
        body: { role: 'student', username: `f${tag}-${i}`, name: `Student ${i}`, studentNumber: number, password: 'fault-student-password' },
      }),
      201,
    );
    students.push({ id: user.id, number, token: await node.login(`f${tag}-${i}`, 'fault-student-password') });
  }
  ok('enrol', await node.request('POST', `/api/courses/${course.id}/enrollments`, { token: adminToken, body: { studentIds: students.map((s) => s.id) } }), 200);
  const device = ok('device', await node.request('POST', '/api/devices', { token: adminToken, body: { name: `Kiosk ${tag}` } }), 201);
  const startsAt = new Date(Date.now() - 60_000);
  const session = ok(
    'session',
    await node.request('POST', `/api/courses/${course.id}/sessions`, {
      token: adminToken,
      body: { startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 3600_000).toISOString() },
    }),
    201,
  );
  ok('open', await node.request('POST', `/api/sessions/${session.id}/open`, { token: adminToken, body: { deviceId: device.device.id } }), 200);
  const code = ok('code', await node.request('GET', `/api/sessions/${session.id}/code`, { token: adminToken }), 200);
  return { adminToken, sessionId: session.id, code: code.code, deviceKey: device.apiKey, students };
}

async function checkin(node: ServerProcess, scene: Scene, s: Scene['students'][number]) {
  return node.request('POST', '/api/checkin', { token: s.token, body: { code: scene.code, sessionId: scene.sessionId } });
}

async function deviceScan(node: ServerProcess, scene: Scene, s: Scene['students'][number]) {
  const res = await fetch(`${node.baseUrl}/api/attendance/scan`, {
    method: 'POST',
    headers: { authorization: `Bearer ${scene.deviceKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ student_id: s.number, scan_id: `scan-${s.id}` }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

const dialects = inject('dialects');

describe.each(dialects)('SIGKILL during a burst of check-ins and scans [%s]', (dialect) => {
  let database: TestDatabase;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rollbook-fault-'));
    if (dialect === 'postgres') {
      database = await createTestDatabase('postgres');
      url = database.url;
    } else {
      url = `sqlite:${path.join(dir, 'rollbook.db')}`;
    }
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every acknowledged check-in and scan is there after the restart', async () => {
    let node = await startNode(`kill-${dialect}`, { DATABASE_URL: url });
    const scene = await buildScene(node, 24);
    const acknowledged = new Set<string>();
    let killed = false;
    const burst = scene.students.map(async (s, i) => {
      try {
        const res = i % 2 === 0 ? await checkin(node, scene, s) : await deviceScan(node, scene, s);
        if (res.status === 200 || res.status === 201) acknowledged.add(s.id);
      } catch {
        // the connection died with the server: not acknowledged, so it may or may not be stored
      }
    });
    // Kill as soon as the first acknowledgements come back, with the rest in flight.
    while (acknowledged.size < 3 && !killed) await sleep(5);
    process.kill(node.pid, 'SIGKILL');
    killed = true;
    await Promise.all(burst);
    await node.stop();
    expect(acknowledged.size).toBeGreaterThan(0);

    node = await startNode(`kill-${dialect}-restarted`, { DATABASE_URL: url });
    try {
      const records = await node.request('GET', `/api/sessions/${scene.sessionId}/records`, { token: scene.adminToken });
      expect(records.status).toBe(200);
      const stored = new Set((records.body.items as { studentId: string }[]).map((r) => r.studentId));
      for (const id of acknowledged) expect(stored.has(id), `acknowledged record of ${id} lost`).toBe(true);
    } finally {
      await node.stop();
    }
  }, 180_000);
});

describe.runIf(inject('redisAvailable') && dialects.includes('postgres'))('Redis unreachable or frozen (two nodes)', () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let a: ServerProcess;
  let b: ServerProcess;
  let scene: Scene;
  let teacherSocket: TestSocket;
  let next = 0;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    proxy = await startFaultProxy(REDIS_TEST_URL, 6379);
    const env = { DATABASE_URL: database.url, REDIS_URL: proxy.url };
    a = await startNode('redis-a', env);
    b = await startNode('redis-b', env);
    scene = await buildScene(a, 12);
    teacherSocket = await openAuthedSocket(a.wsUrl, scene.adminToken);
    await teacherSocket.subscribe(`session:${scene.sessionId}`);
  }, 180_000);
  afterAll(async () => {
    teacherSocket?.close();
    await a?.stop();
    await b?.stop();
    await proxy?.close();
    await database?.drop();
  }, 60_000);

  /** A check-in on node B that a socket on node A sees. */
  async function checkinSeenAcross() {
    const s = scene.students[next++];
    const seen = teacherSocket.next((m) => m.event === 'CHECKIN' && m.data.record.studentId === s.id, `CHECKIN of ${s.id}`, 15_000);
    const res = await checkin(b, scene, s);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    await seen;
  }

  it.each(['cut', 'blackhole'] as const)('%s: check-ins still succeed within bounded time, /api/status says down, delivery resumes', async (mode) => {
    await checkinSeenAcross();
    proxy.set(mode);
    for (let i = 0; i < 2; i++) {
      const { value, ms } = await timed(() => checkin(b, scene, scene.students[next++]));
      expect(value.status, JSON.stringify(value.body)).toBe(201);
      expect(ms).toBeLessThan(3000);
    }
    // A frozen Redis is found out by the watchdog and reported, and /api/status never hangs on it.
    const deadline = Date.now() + 10_000;
    let status = '';
    while (Date.now() < deadline) {
      const { value, ms } = await timed(() => b.request('GET', '/api/status'));
      expect(ms).toBeLessThan(2000);
      status = value.body.redis;
      if (status === 'down') break;
      await sleep(250);
    }
    expect(status).toBe('down');

    proxy.set('pass');
    // Both nodes reconnect by themselves; then events cross again.
    const until = Date.now() + 20_000;
    while (Date.now() < until && ((await a.request('GET', '/api/status')).body.redis !== 'ok' || (await b.request('GET', '/api/status')).body.redis !== 'ok')) {
      await sleep(250);
    }
    await checkinSeenAcross();
  }, 90_000);
});

describe.runIf(dialects.includes('postgres'))('PostgreSQL unreachable or black-holed', () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let node: ServerProcess;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    proxy = await startFaultProxy(database.url, 5432);
    node = await startNode('pg', { DATABASE_URL: proxy.url });
    token = await node.login(ADMIN.username, ADMIN.password);
  }, 120_000);
  afterAll(async () => {
    await node?.stop();
    await proxy?.close();
    await database?.drop();
  }, 60_000);

  it.each(['cut', 'blackhole'] as const)('%s: 503 unavailable with Retry-After within 5 s, no crash, recovery by itself', async (mode) => {
    expect((await node.request('GET', '/api/courses', { token })).status).toBe(200);
    proxy.set(mode);
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const res = await fetch(`${node.baseUrl}/api/courses`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(20_000) });
      const ms = Date.now() - started;
      expect(res.status, await res.clone().text()).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await res.json()).code).toBe('unavailable');
      expect(ms).toBeLessThan(5000);
    }
    const { value: status, ms } = await timed(() => node.request('GET', '/api/status'));
    expect(ms).toBeLessThan(2000);
    expect(status.body.database).toBe('down');
    // Still alive.
    expect((await node.request('GET', '/api/health')).status).toBe(200);

    proxy.set('pass');
    const until = Date.now() + 20_000;
    let last = 0;
    while (Date.now() < until) {
      last = (await node.request('GET', '/api/courses', { token })).status;
      if (last === 200) break;
      await sleep(250);
    }
    expect(last).toBe(200);
  }, 90_000);
});

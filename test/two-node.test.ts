import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CLUSTER_ADMIN, type Cluster, type ServerNode, startCluster } from './support/cluster.js';
import { createRedis } from '../server/lib/redis.js';
import { REDIS_CHANNEL_PREFIX } from '../server/realtime/bus.js';
import { REDIS_TEST_URL } from './support/services.js';
import { openAuthedSocket, type TestSocket } from './support/ws-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; fails with `label` and the nodes' output after `timeoutMs`. */
async function eventually(label: string, check: () => Promise<boolean>, cluster: Cluster, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${label}: not within ${timeoutMs} ms\n${cluster.output()}`);
}

const redisStatus = async (node: ServerNode) => (await node.request('GET', '/api/status')).body.redis as string;

describe.runIf(inject('redisAvailable') && inject('dialects').includes('postgres'))('two nodes on PostgreSQL + Redis', () => {
  let cluster: Cluster;
  let a: ServerNode;
  let b: ServerNode;
  let adminOnA: string;
  let adminOnB: string;
  const sockets: TestSocket[] = [];

  async function createStudent(node: ServerNode, token: string) {
    const n = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const res = await node.request('POST', '/api/users', {
      token,
      body: { role: 'student', username: `two-node-${n}`, name: `Student ${n}`, studentNumber: `TN${n}`, password: 'two-node-password' },
    });
    if (res.status !== 201) throw new Error(`create student on ${node.name}: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.id as string, username: res.body.username as string, password: 'two-node-password' };
  }

  /** A socket on `node` for a new student, subscribed to their user topic. */
  async function listener(node: ServerNode) {
    const student = await createStudent(node, node === a ? adminOnA : adminOnB);
    const token = await node.login(student.username, student.password);
    const socket = await openAuthedSocket(node.wsUrl, token);
    sockets.push(socket);
    await socket.subscribe(`user:${student.id}`);
    return { student, socket };
  }

  function sendTest(from: ServerNode, userId: string, message: string) {
    return from.request('POST', '/api/notifications/test', { token: from === a ? adminOnA : adminOnB, body: { userId, message } });
  }

  const gotMessage = (socket: TestSocket, message: string, timeoutMs = 10_000) =>
    socket.next((m) => m.event === 'NOTIFICATION' && m.data.notification.payload.message === message, `NOTIFICATION "${message}"`, timeoutMs);

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 2, redisUrl: REDIS_TEST_URL });
    [a, b] = cluster.nodes;
    adminOnA = await a.login(CLUSTER_ADMIN.username, CLUSTER_ADMIN.password);
    adminOnB = await b.login(CLUSTER_ADMIN.username, CLUSTER_ADMIN.password);
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await cluster?.close();
  }, 60_000);

  it('both nodes report Redis ok', async () => {
    expect(await redisStatus(a)).toBe('ok');
    expect(await redisStatus(b)).toBe('ok');
  });

  it('delivers an event published by a request to node B to a socket on node A, and back', async () => {
    const onA = await listener(a);
    const res = await sendTest(b, onA.student.id, 'from B to A');
    expect(res.status).toBe(201);
    const got = await gotMessage(onA.socket, 'from B to A');
    expect(got.topic).toBe(`user:${onA.student.id}`);
    expect(got.data.notification.id).toBe(res.body.id);

    const onB = await listener(b);
    expect((await sendTest(a, onB.student.id, 'from A to B')).status).toBe(201);
    await gotMessage(onB.socket, 'from A to B');

    // Exactly once: the publishing node does not get its own event back through Redis.
    const sameNode = await listener(a);
    expect((await sendTest(a, sameNode.student.id, 'same node')).status).toBe(201);
    await gotMessage(sameNode.socket, 'same node');
    await sameNode.socket.request('PING');
    await sleep(300);
    expect(sameNode.socket.messages.filter((m) => m.event === 'NOTIFICATION')).toHaveLength(1);
  });

  it('check-ins taken by both nodes reach a socket on A once each; A alone counts the SUMMARY, none crosses Redis', async () => {
    const ok = (what: string, res: { status: number; body: any }, status: number) => {
      if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const course = ok('course', await a.request('POST', '/api/courses', { token: adminOnA, body: { code: `TN${tag}`, name: `Two nodes ${tag}` } }), 201);
    const students = await Promise.all(Array.from({ length: 8 }, () => createStudent(a, adminOnA)));
    ok('enrol', await a.request('POST', `/api/courses/${course.id}/enrollments`, { token: adminOnA, body: { studentIds: students.map((s) => s.id) } }), 200);
    const startsAt = new Date(Date.now() - 60_000);
    const session = ok(
      'session',
      await a.request('POST', `/api/courses/${course.id}/sessions`, {
        token: adminOnA,
        body: { startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 3600_000).toISOString() },
      }),
      201,
    );
    ok('open', await a.request('POST', `/api/sessions/${session.id}/open`, { token: adminOnA, body: {} }), 200);
    const { code } = ok('code', await a.request('GET', `/api/sessions/${session.id}/code`, { token: adminOnA }), 200);
    const topic = `session:${session.id}`;
    const watcher = await openAuthedSocket(a.wsUrl, adminOnA);
    sockets.push(watcher);
    await watcher.subscribe(topic);
    // What crosses Redis on the session's channel.
    const monitor = createRedis(REDIS_TEST_URL, 'two-node-monitor', { autoResubscribe: false });
    const crossed: string[] = [];
    monitor.on('message', (_channel: string, message: string) => crossed.push(message));
    try {
      for (let i = 0; i < 100 && monitor.status !== 'ready'; i++) await sleep(100);
      await monitor.subscribe(REDIS_CHANNEL_PREFIX + topic);
      const tokens = await Promise.all(students.map((s, i) => (i % 2 ? b : a).login(s.username, s.password)));
      // Typed code only: node B learns of the session opened on A when the code matches nothing in its cache.
      const results = await Promise.all(students.map((_, i) => (i % 2 ? b : a).request('POST', '/api/checkin', { token: tokens[i], body: { code } })));
      expect(results.map((r) => r.status)).toEqual(students.map(() => 201));
      await watcher.next((m) => m.event === 'SUMMARY' && m.data.summary.present === students.length, 'SUMMARY with everyone present', 10_000);
      const checkins = watcher.messages.filter((m) => m.event === 'CHECKIN').map((m) => m.data.record.id as string);
      expect(checkins.sort()).toEqual(results.map((r) => r.body.record.id as string).sort());
      expect(crossed.some((m) => m.includes('"event":"CHECKIN"'))).toBe(true);
      expect(crossed.filter((m) => m.includes('"event":"SUMMARY"'))).toEqual([]);
    } finally {
      monitor.disconnect();
    }
  });

  it('keeps serving while Redis is unreachable and recovers by itself when it returns', async () => {
    const onA = await listener(a);
    const onB = await listener(b);

    cluster.redisProxy.cut();
    await eventually('both nodes report redis "down"', async () => (await redisStatus(a)) === 'down' && (await redisStatus(b)) === 'down', cluster);

    // HTTP still works on both nodes, including sign-in (its limiter counts in memory meanwhile).
    for (const node of [a, b]) {
      const status = await node.request('GET', '/api/status');
      expect(status.status).toBe(200);
      expect(status.body).toMatchObject({ database: 'ok', redis: 'down' });
      expect(await node.login(CLUSTER_ADMIN.username, CLUSTER_ADMIN.password)).toBeTruthy();
      const list = await node.request('GET', '/api/notifications', { token: node === a ? adminOnA : adminOnB });
      expect(list.status).toBe(200);
    }
    // Notifications are still stored; delivery degrades to the node that published.
    const crossWhileDown = await sendTest(b, onA.student.id, 'B to A while Redis is down');
    expect(crossWhileDown.status).toBe(201);
    expect((await sendTest(a, onA.student.id, 'A to A while Redis is down')).status).toBe(201);
    await gotMessage(onA.socket, 'A to A while Redis is down');
    const stored = await a.request('GET', '/api/notifications', { token: await a.login(onA.student.username, onA.student.password) });
    expect(stored.body.items.map((n: { id: string }) => n.id)).toContain(crossWhileDown.body.id);

    cluster.redisProxy.restore();
    await eventually('both nodes report redis "ok" again', async () => (await redisStatus(a)) === 'ok' && (await redisStatus(b)) === 'ok', cluster);
    // Sockets that listened through the gap are told to take a fresh snapshot.
    await onA.socket.nextEvent('RESYNC', 30_000);
    await onB.socket.nextEvent('RESYNC', 30_000);

    // Events flow again both ways without restarting either node. A resubscribes in the background,
    // so keep publishing until one arrives (each is a distinct message; any one proves the path).
    for (const [from, to] of [
      [b, onA],
      [a, onB],
    ] as const) {
      let attempt = 0;
      let arrived = false;
      while (!arrived && attempt < 20) {
        const message = `after restore ${from.name}→${to === onA ? 'A' : 'B'} #${attempt++}`;
        expect((await sendTest(from, to.student.id, message)).status).toBe(201);
        arrived = await gotMessage(to.socket, message, 3_000)
          .then(() => true)
          .catch(() => false);
      }
      expect(arrived, `no event from node ${from.name} arrived after Redis returned\n${cluster.output()}`).toBe(true);
    }
  }, 180_000);
});

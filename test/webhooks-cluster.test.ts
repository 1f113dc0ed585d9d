import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CLUSTER_ADMIN, type Cluster, type ServerNode, startCluster, startNode } from './support/cluster.js';
import { REDIS_TEST_URL } from './support/services.js';
import { createTestDatabase } from './support/test-database.js';
import { TEST_SECRET } from './support/test-app.js';
import { startWebhookReceiver, verifyStandardWebhook, type WebhookReceiver } from './support/webhook-receiver.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(label: string, check: () => boolean | Promise<boolean>, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await Promise.resolve(check()).catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${label}: not within ${timeoutMs} ms\n${output()}`);
}

async function addWebhook(node: ServerNode, token: string, url: string, events: string[] = ['*']) {
  const res = await node.request('POST', '/api/webhooks', { token, body: { url, events } });
  if (res.status !== 201) throw new Error(`add webhook: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { webhook: { id: string }; secret: string };
}

const metric = (text: string, name: string) => Number(new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\d+)`, 'm').exec(text)?.[1] ?? 0);

/**
 * Over HTTP on `node`: a teacher, a course and a session open for link check-in with self-enrolment
 * (students check in with a student number and name, no account or sign-in needed).
 */
async function openLinkSession(node: ServerNode, adminToken: string) {
  const n = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const call = async (method: string, path: string, token: string, body?: unknown, expected = [200, 201]) => {
    const res = await node.request(method, path, { token, body });
    if (!expected.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  await call('POST', '/api/users', adminToken, { role: 'teacher', username: `teacher-${n}`, name: `Teacher ${n}`, password: 'teacher-password' });
  const teacherToken = await node.login(`teacher-${n}`, 'teacher-password');
  const course = await call('POST', '/api/courses', teacherToken, { code: `WH${n}`.toUpperCase().slice(0, 20), name: `Course ${n}` });
  const startsAt = new Date(Date.now() - 60_000);
  const session = await call('POST', `/api/courses/${course.id}/sessions`, teacherToken, {
    startsAt: startsAt.toISOString(),
    endsAt: new Date(startsAt.getTime() + 90 * 60_000).toISOString(),
    venue: 'Hall',
  });
  await call('POST', `/api/sessions/${session.id}/open`, teacherToken, { methods: ['code', 'qr', 'link', 'rollcall', 'device'], allowSelfEnroll: true, codeTtlSeconds: 3600 });
  const { code } = await call('GET', `/api/sessions/${session.id}/code`, teacherToken);
  return { sessionId: session.id as string, code: code as string, n };
}

function linkCheckin(node: ServerNode, s: { sessionId: string; code: string }, studentNumber: string) {
  return node.request('POST', `/api/sessions/${s.sessionId}/checkin/link`, { body: { code: s.code, studentNumber, name: `Student ${studentNumber}` } });
}

describe.runIf(inject('redisAvailable') && inject('dialects').includes('postgres'))('webhooks: two nodes on PostgreSQL share one outbox', () => {
  let cluster: Cluster;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    cluster = await startCluster({ nodes: 2, redisUrl: REDIS_TEST_URL, env: { JOBS: '1', OUTBOX_POLL_MS: '200' } });
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
    await receiver?.close();
  });

  it('500 check-ins on two nodes: each event delivered exactly once to a healthy receiver, by both nodes', async () => {
    const [a, b] = cluster.nodes;
    const tokens = [await a.login(CLUSTER_ADMIN.username, CLUSTER_ADMIN.password), await b.login(CLUSTER_ADMIN.username, CLUSTER_ADMIN.password)];
    const { secret } = await addWebhook(a, tokens[0], receiver.url, ['record.created']);
    // Two sessions, so both nodes have queues to work on at once (each session's queue goes in order).
    // Each node takes the check-ins of the session it opened (another node learns of an opened
    // session within its open-session cache's lifetime; that is not what this test is about).
    const sessions = [await openLinkSession(a, tokens[0]), await openLinkSession(b, tokens[1])];
    const recordIds: string[] = [];
    await Promise.all(
      [a, b].map(async (node, i) => {
        for (let batch = 0; batch < 25; batch++) {
          const answers = await Promise.all(
            Array.from({ length: 10 }, (_, k) => linkCheckin(node, sessions[i], `N${i}-${batch}-${k}-${sessions[0].n}`)),
          );
          for (const res of answers) {
            if (res.status !== 201) throw new Error(`link check-in: ${res.status} ${JSON.stringify(res.body)}`);
            recordIds.push(res.body.record.id);
          }
        }
      }),
    );
    expect(new Set(recordIds).size).toBe(500);
    await eventually('all 500 received', () => new Set(receiver.received.map((r) => r.json.id)).size >= 500, cluster.output, 90_000);
    await sleep(1500);
    expect(receiver.received).toHaveLength(500);
    expect(new Set(receiver.received.map((r) => r.json.data.record.id))).toEqual(new Set(recordIds));
    for (const r of receiver.received.slice(0, 20)) expect(verifyStandardWebhook(secret, r.headers, r.body)).toBe(true);

    const delivered = await Promise.all(
      [a, b].map(async (node) => metric((await node.request('GET', '/metrics')).body, 'rollbook_webhook_deliveries_total{outcome="delivered"}')),
    );
    expect(delivered[0] + delivered[1]).toBe(500);
    expect(delivered[0]).toBeGreaterThan(0);
    expect(delivered[1]).toBeGreaterThan(0);
    const status = (await a.request('GET', '/api/status')).body;
    expect(status.outbox).toEqual({ pending: 0, failed: 0, oldestPendingSeconds: 0 });
  }, 180_000);
});

describe('webhooks: a server killed after acknowledging a check-in and before delivering it', () => {
  for (const dialect of inject('dialects')) {
    it(`delivers the event after restart [${dialect}]`, async () => {
      const database = await createTestDatabase(dialect);
      const receiver = await startWebhookReceiver();
      const env = {
        DATABASE_URL: database.url,
        SECRET: TEST_SECRET,
        ADMIN_USERNAME: CLUSTER_ADMIN.username,
        ADMIN_PASSWORD: CLUSTER_ADMIN.password,
        LOG_LEVEL: 'warn',
        JOBS: '1',
        PUBLIC_URL: 'http://rollbook.test',
        WEBHOOK_TIMEOUT_MS: '1000',
        OUTBOX_POLL_MS: '200',
      };
      let node: ServerNode | null = await startNode(`crash-${dialect}-1`, env);
      try {
        const token = await node.login(CLUSTER_ADMIN.username, CLUSTER_ADMIN.password);
        const { webhook, secret } = await addWebhook(node, token, receiver.url, ['record.created']);
        const session = await openLinkSession(node, token);
        // The receiver holds the first request: the node has claimed the delivery and is waiting.
        receiver.script = ['hang'];
        const checkin = await linkCheckin(node, session, 'CRASH-1');
        expect(checkin.status).toBe(201);
        const recordId = checkin.body.record.id as string;
        const first = node;
        await eventually('first attempt reached the receiver', () => receiver.received.length === 1, () => first.output(), 10_000);
        const eventId = receiver.received[0].json.id;
        expect(receiver.received[0].json.data.record.id).toBe(recordId);

        process.kill(node.pid, 'SIGKILL');
        await node.stop();
        node = null;
        node = await startNode(`crash-${dialect}-2`, env);
        const second = node;
        // The dead node's claim lapses (timeout + margin) and the new process sends it again.
        await eventually('delivered after restart', () => receiver.received.length >= 2, () => second.output(), 30_000);
        const again = receiver.received[1];
        expect(again.json.id).toBe(eventId);
        expect(verifyStandardWebhook(secret, again.headers, again.body)).toBe(true);
        const token2 = await node.login(CLUSTER_ADMIN.username, CLUSTER_ADMIN.password);
        await eventually(
          'marked delivered',
          async () => (await second.request('GET', `/api/webhooks/${webhook.id}/deliveries?state=delivered`, { token: token2 })).body.items.length === 1,
          () => second.output(),
          10_000,
        );
      } finally {
        await node?.stop();
        await receiver.close();
        await database.drop();
      }
    }, 120_000);
  }
});

import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { deliverDueBatch, pruneOutbox, type DeliveryDeps } from '../server/modules/webhooks/delivery.service.js';
import { WebhookSender } from '../server/modules/webhooks/webhook-sender.js';
import { buildClassroom, openWithCode, scheduleSession } from './support/classroom.js';
import { userWithToken } from './support/factories.js';
import { describeEachDialect, type TestContext } from './support/test-app.js';
import { startWebhookReceiver, verifyStandardWebhook, type WebhookReceiver } from './support/webhook-receiver.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value; fails with `label` after `timeoutMs`. */
async function eventually<T>(label: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${label}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

// Short timeout and backoff so retries happen within a test; the job polls often.
const ENV = {
  JOBS: '1',
  WEBHOOK_TIMEOUT_MS: '400',
  OUTBOX_RETRY_BASE_MS: '150',
  OUTBOX_RETRY_MAX_MS: '600',
  OUTBOX_MAX_ATTEMPTS: '4',
  OUTBOX_POLL_MS: '100',
};

async function addWebhook(ctx: TestContext, token: string, body: Record<string, unknown>) {
  const res = await ctx.request({ method: 'POST', url: '/api/webhooks', token, payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { webhook: { id: string; url: string; events: string[]; active: boolean; description: string | null }; secret: string };
}

async function deliveriesOf(ctx: TestContext, token: string, webhookId: string, query = '') {
  const res = await ctx.request({ method: 'GET', url: `/api/webhooks/${webhookId}/deliveries${query}`, token });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as { id: string; eventId: string; type: string; state: string; attempts: number; lastStatus: number | null; lastError: string | null }[];
}

describeEachDialect(
  'webhooks',
  (ctx) => {
    let admin: { token: string; user: { id: string } };
    let receiver: WebhookReceiver;

    beforeAll(async () => {
      admin = await userWithToken(ctx(), 'admin');
      receiver = await startWebhookReceiver();
    });
    afterAll(async () => {
      await receiver.close();
    });
    beforeEach(() => {
      receiver.received.length = 0;
      receiver.script = [];
      receiver.fallback = 200;
    });

    it('admins add, read, change and remove endpoints; the secret is shown once; every write is audited', async () => {
      const { webhook, secret } = await addWebhook(ctx(), admin.token, { url: 'https://portal.example.edu/hooks/rollbook', events: ['record.created', 'record.updated'], description: 'Portal' });
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
      expect(Buffer.from(secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
      expect(webhook).toMatchObject({ url: 'https://portal.example.edu/hooks/rollbook', events: ['record.created', 'record.updated'], description: 'Portal', active: true });

      const list = await ctx().request({ method: 'GET', url: '/api/webhooks', token: admin.token });
      expect(list.statusCode).toBe(200);
      expect(list.json().items).toContainEqual(expect.objectContaining({ id: webhook.id }));
      const one = await ctx().request({ method: 'GET', url: `/api/webhooks/${webhook.id}`, token: admin.token });
      expect(one.json()).toMatchObject({ id: webhook.id, events: ['record.created', 'record.updated'] });
      for (const body of [list.body, one.body]) expect(body).not.toContain(secret.slice(6));

      const patched = await ctx().request({ method: 'PATCH', url: `/api/webhooks/${webhook.id}`, token: admin.token, payload: { events: ['*'], active: false, description: null } });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json()).toMatchObject({ events: ['*'], active: false, description: null });

      const del = await ctx().request({ method: 'DELETE', url: `/api/webhooks/${webhook.id}`, token: admin.token });
      expect(del.statusCode).toBe(204);
      expect((await ctx().request({ method: 'GET', url: `/api/webhooks/${webhook.id}`, token: admin.token })).statusCode).toBe(404);
      expect((await ctx().request({ method: 'DELETE', url: `/api/webhooks/${webhook.id}`, token: admin.token })).statusCode).toBe(404);

      const audit = await ctx().db.selectFrom('audit_events').select('action').where('entity_id', '=', webhook.id).orderBy('id').execute();
      expect(audit.map((a) => a.action)).toEqual(['webhook.created', 'webhook.updated', 'webhook.deleted']);
    });

    it('authorization matrix: only admins reach the webhook routes (teachers and students 403, anonymous 401)', async () => {
      const { webhook } = await addWebhook(ctx(), admin.token, { url: receiver.url, events: ['*'] });
      const [delivery] = [(await ctx().request({ method: 'POST', url: `/api/webhooks/${webhook.id}/test`, token: admin.token })).json()];
      const routes: { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; payload?: object }[] = [
        { method: 'POST', url: '/api/webhooks', payload: { url: receiver.url, events: ['*'] } },
        { method: 'GET', url: '/api/webhooks' },
        { method: 'GET', url: `/api/webhooks/${webhook.id}` },
        { method: 'PATCH', url: `/api/webhooks/${webhook.id}`, payload: { active: false } },
        { method: 'POST', url: `/api/webhooks/${webhook.id}/test` },
        { method: 'GET', url: `/api/webhooks/${webhook.id}/deliveries` },
        { method: 'POST', url: `/api/webhooks/${webhook.id}/deliveries/${delivery.id}/retry` },
        { method: 'DELETE', url: `/api/webhooks/${webhook.id}` },
      ];
      const teacher = await userWithToken(ctx(), 'teacher');
      const student = await userWithToken(ctx(), 'student');
      for (const route of routes) {
        for (const [who, token, status] of [
          ['teacher', teacher.token, 403],
          ['student', student.token, 403],
          ['anonymous', undefined, 401],
        ] as const) {
          const res = await ctx().request({ ...route, token });
          expect(res.statusCode, `${route.method} ${route.url} as ${who}`).toBe(status);
        }
      }
      expect((await ctx().request({ method: 'GET', url: `/api/webhooks/${webhook.id}`, token: admin.token })).json().active).toBe(true);
      // Nothing the refused callers sent took effect: still one endpoint at this URL, one delivery.
      expect(await ctx().db.selectFrom('webhooks').select('id').where('url', '=', receiver.url).execute()).toHaveLength(1);
      expect(await ctx().db.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', webhook.id).execute()).toHaveLength(1);
      await ctx().request({ method: 'DELETE', url: `/api/webhooks/${webhook.id}`, token: admin.token });
    });

    it('refuses bad URLs and event lists with 400 validation_failed', async () => {
      const bad: Record<string, unknown>[] = [
        { url: 'ftp://portal.example.edu/hook', events: ['*'] },
        { url: 'javascript:alert(1)', events: ['*'] },
        { url: 'file:///etc/passwd', events: ['*'] },
        { url: 'not a url', events: ['*'] },
        { url: 'https://user:secret@portal.example.edu/hook', events: ['*'] },
        { url: 'https://token@portal.example.edu/hook', events: ['*'] },
        { url: `https://portal.example.edu/${'x'.repeat(2100)}`, events: ['*'] },
        { url: 'https://portal.example.edu/hook', events: [] },
        { url: 'https://portal.example.edu/hook', events: ['*', 'ping'] },
        { url: 'https://portal.example.edu/hook', events: ['record.exploded'] },
        { url: 'https://portal.example.edu/hook' },
        { url: 'https://portal.example.edu/hook', events: ['*'], secret: 'whsec_mine' },
      ];
      for (const payload of bad) {
        const res = await ctx().request({ method: 'POST', url: '/api/webhooks', token: admin.token, payload });
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        expect(res.json().code).toBe('validation_failed');
      }
      const { webhook } = await addWebhook(ctx(), admin.token, { url: 'http://portal.example.edu/hook', events: ['session.closed'] });
      const patch = await ctx().request({ method: 'PATCH', url: `/api/webhooks/${webhook.id}`, token: admin.token, payload: { url: 'https://a:b@portal.example.edu/' } });
      expect(patch.statusCode).toBe(400);
      const unknown = await ctx().request({ method: 'POST', url: `/api/webhooks/${webhook.id}/deliveries/nope/retry`, token: admin.token });
      expect(unknown.statusCode).toBe(404);
      const badState = await ctx().request({ method: 'GET', url: `/api/webhooks/${webhook.id}/deliveries?state=lost`, token: admin.token });
      expect(badState.statusCode).toBe(400);
      await ctx().request({ method: 'DELETE', url: `/api/webhooks/${webhook.id}`, token: admin.token });
    });

    it('a test ping arrives signed (verified independently), with the Standard Webhooks headers and body', async () => {
      const { webhook, secret } = await addWebhook(ctx(), admin.token, { url: receiver.url, events: ['record.created'] });
      const queued = await ctx().request({ method: 'POST', url: `/api/webhooks/${webhook.id}/test`, token: admin.token });
      expect(queued.statusCode, queued.body).toBe(202);
      const delivery = queued.json();
      expect(delivery).toMatchObject({ type: 'ping', state: 'pending', attempts: 0 });

      const got = await eventually('ping received', async () => receiver.received.find((r) => r.json.id === delivery.eventId), 5_000);
      expect(got.headers['content-type']).toMatch(/^application\/json/);
      expect(got.headers['webhook-id']).toBe(delivery.eventId);
      expect(verifyStandardWebhook(secret, got.headers, got.body)).toBe(true);
      // The same request with another secret, or a body changed by one byte, does not verify.
      expect(verifyStandardWebhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, got.headers, got.body)).toBe(false);
      expect(verifyStandardWebhook(secret, got.headers, got.body.replace('ping', 'pong'))).toBe(false);
      expect(got.json).toMatchObject({ id: delivery.eventId, type: 'ping', data: { webhook: { id: webhook.id } } });
      expect(Date.parse(got.json.createdAt)).not.toBeNaN();

      const [listed] = await eventually('delivered', async () => {
        const items = await deliveriesOf(ctx(), admin.token, webhook.id, '?state=delivered');
        return items.length > 0 && items;
      });
      expect(listed).toMatchObject({ id: delivery.id, state: 'delivered', attempts: 1, lastStatus: 200, lastError: null });
      expect(await deliveriesOf(ctx(), admin.token, webhook.id, '?state=pending')).toEqual([]);
      await ctx().request({ method: 'DELETE', url: `/api/webhooks/${webhook.id}`, token: admin.token });
    });

    it('a receiver answering 500, then timing out, then 200 gets the event at exactly the third attempt', async () => {
      const { webhook, secret } = await addWebhook(ctx(), admin.token, { url: receiver.url, events: ['*'] });
      receiver.script = [500, 'hang', 200];
      receiver.fallback = 599;
      const delivery = (await ctx().request({ method: 'POST', url: `/api/webhooks/${webhook.id}/test`, token: admin.token })).json();

      const [done] = await eventually('delivered after retries', async () => {
        const items = await deliveriesOf(ctx(), admin.token, webhook.id, '?state=delivered');
        return items.length > 0 && items;
      });
      expect(done).toMatchObject({ id: delivery.id, attempts: 3, lastStatus: 200, lastError: null });
      const attempts = receiver.received.filter((r) => r.json.id === delivery.eventId);
      expect(attempts).toHaveLength(3);
      for (const a of attempts) expect(verifyStandardWebhook(secret, a.headers, a.body)).toBe(true);
      // Growing delays: the wait before the third attempt is longer than before the second (the second
      // also includes the 400 ms timeout, so compare against the configured base).
      expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(150 * 0.8 - 20);
      expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(400 + 300 * 0.8 - 20);
      await sleep(300);
      expect(receiver.received.filter((r) => r.json.id === delivery.eventId)).toHaveLength(3);

      const metrics = await ctx().request({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/rollbook_webhook_deliveries_total\{outcome="retry"\} [2-9]/);
      expect(metrics.body).toMatch(/rollbook_webhook_deliveries_total\{outcome="delivered"\} [1-9]/);
      expect(metrics.body).toMatch(/rollbook_outbox_pending \d+/);
      await ctx().request({ method: 'DELETE', url: `/api/webhooks/${webhook.id}`, token: admin.token });
    });

    it('gives up after the last attempt (failed, visible in /api/status), and a manual retry delivers it', async () => {
      const { webhook } = await addWebhook(ctx(), admin.token, { url: receiver.url, events: ['*'] });
      receiver.fallback = 503;
      const delivery = (await ctx().request({ method: 'POST', url: `/api/webhooks/${webhook.id}/test`, token: admin.token })).json();
      const [failed] = await eventually('failed', async () => {
        const items = await deliveriesOf(ctx(), admin.token, webhook.id, '?state=failed');
        return items.length > 0 && items;
      });
      expect(failed).toMatchObject({ id: delivery.id, attempts: 4, lastStatus: 503, lastError: expect.stringContaining('HTTP 503') });
      const status = await ctx().request({ method: 'GET', url: '/api/status' });
      expect(status.json().outbox).toMatchObject({ failed: expect.any(Number), pending: expect.any(Number), oldestPendingSeconds: expect.any(Number) });
      expect(status.json().outbox.failed).toBeGreaterThanOrEqual(1);
      await sleep(500);
      expect(receiver.received.filter((r) => r.json.id === delivery.eventId)).toHaveLength(4);

      receiver.fallback = 204;
      const retry = await ctx().request({ method: 'POST', url: `/api/webhooks/${webhook.id}/deliveries/${delivery.id}/retry`, token: admin.token });
      expect(retry.statusCode, retry.body).toBe(202);
      expect(retry.json()).toMatchObject({ id: delivery.id, state: 'pending', attempts: 0 });
      const [delivered] = await eventually('delivered after retry', async () => {
        const items = await deliveriesOf(ctx(), admin.token, webhook.id, '?state=delivered');
        return items.length > 0 && items;
      });
      expect(delivered).toMatchObject({ id: delivery.id, attempts: 1, lastStatus: 204 });
      expect(receiver.received.filter((r) => r.json.id === delivery.eventId)).toHaveLength(5);
      const audit = await ctx().db.selectFrom('audit_events').select('action').where('entity_id', '=', webhook.id).execute();
      expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['webhook.tested', 'webhook.delivery_retried']));
      await ctx().request({ method: 'DELETE', url: `/api/webhooks/${webhook.id}`, token: admin.token });
    });

    it('prunes delivered events past the retention period and keeps undelivered ones', async () => {
      const { webhook } = await addWebhook(ctx(), admin.token, { url: receiver.url, events: ['*'] });
      const ok = (await ctx().request({ method: 'POST', url: `/api/webhooks/${webhook.id}/test`, token: admin.token })).json();
      await eventually('delivered', async () => (await deliveriesOf(ctx(), admin.token, webhook.id, '?state=delivered')).length === 1);
      receiver.fallback = 503;
      const stuck = (await ctx().request({ method: 'POST', url: `/api/webhooks/${webhook.id}/test`, token: admin.token })).json();
      await eventually('attempted', async () => receiver.received.some((r) => r.json.id === stuck.eventId));

      // Both events become 40 days old; the delivered one is past OUTBOX_RETENTION_DAYS (30).
      const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
      await ctx().db.updateTable('outbox_events').set({ created_at: old }).where('id', 'in', [ok.eventId, stuck.eventId]).execute();
      expect(await pruneOutbox(ctx().db, 30)).toBeGreaterThanOrEqual(1);
      const left = await ctx().db.selectFrom('outbox_events').select('id').where('id', 'in', [ok.eventId, stuck.eventId]).execute();
      expect(left.map((r) => r.id)).toEqual([stuck.eventId]);
      const deliveries = await deliveriesOf(ctx(), admin.token, webhook.id);
      expect(deliveries.map((d) => d.id)).toEqual([stuck.id]);
      await ctx().request({ method: 'DELETE', url: `/api/webhooks/${webhook.id}`, token: admin.token });
    });
  },
  ENV,
);

describeEachDialect('webhooks: the delivery job when its sender fails', (ctx) => {
  it('a batch the sender could not send is released unsent, the run ends (0), and the next run delivers it', async () => {
    const admin = await userWithToken(ctx(), 'admin');
    const receiver = await startWebhookReceiver();
    try {
      const { webhook } = await addWebhook(ctx(), admin.token, { url: receiver.url, events: ['*'] });
      // JOBS is off here: the test ping stays queued until the batch below.
      const ping = await ctx().request({ method: 'POST', url: `/api/webhooks/${webhook.id}/test`, token: admin.token });
      expect(ping.statusCode, ping.body).toBe(202);
      const sender = new WebhookSender();
      const deps = (): DeliveryDeps => ({
        db: ctx().db,
        postgres: ctx().dialect === 'postgres',
        log: ctx().app.log,
        timeoutMs: 1_000,
        retryBaseMs: 1_000,
        retryMaxMs: 1_000,
        maxAttempts: 3,
        sender,
      });
      await sender.close();
      expect(await deliverDueBatch(deps())).toBe(0);
      const [released] = await deliveriesOf(ctx(), admin.token, webhook.id);
      expect(released).toMatchObject({ state: 'pending', attempts: 0, lastError: null });
      expect(receiver.received).toHaveLength(0);

      const working = new WebhookSender();
      try {
        expect(await deliverDueBatch({ ...deps(), sender: working })).toBe(1);
      } finally {
        await working.close();
      }
      expect((await deliveriesOf(ctx(), admin.token, webhook.id))[0]).toMatchObject({ id: released.id, state: 'delivered', attempts: 1 });
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});

// Long enough a retry window for an endpoint that is down for a few seconds.
const OUTAGE_ENV = { ...ENV, OUTBOX_MAX_ATTEMPTS: '100', OUTBOX_RETRY_BASE_MS: '100', OUTBOX_RETRY_MAX_MS: '400' };

describeEachDialect(
  'webhooks: attendance changes',
  (ctx) => {
    let admin: { token: string };
    let receiver: WebhookReceiver;
    let secret: string;
    let webhookId: string;

    beforeAll(async () => {
      admin = await userWithToken(ctx(), 'admin');
      receiver = await startWebhookReceiver();
      const created = await addWebhook(ctx(), admin.token, { url: receiver.url, events: ['*'] });
      secret = created.secret;
      webhookId = created.webhook.id;
    });
    afterAll(async () => {
      await receiver.close();
    });

    const eventsOfSession = (sessionId: string) =>
      receiver.received.filter((r) => r.json.data?.record?.sessionId === sessionId || r.json.data?.session?.id === sessionId);

    it('a check-in reaches the endpoint signed, with the student and course; record.sync goes pending → delivered', async () => {
      const room = await buildClassroom(ctx(), 2);
      const sessionId = await scheduleSession(ctx(), room);
      const { code } = await openWithCode(ctx(), room, sessionId);
      const student = room.students[0];
      const res = await ctx().request({ method: 'POST', url: '/api/checkin', token: student.token, payload: { code } });
      expect(res.statusCode, res.body).toBe(201);
      const record = res.json().record;
      // The answer gives the state at the check-in's commit, known without a read: queued.
      expect(record.sync).toBe('pending');

      const got = await eventually('record.created received', async () => receiver.received.find((r) => r.json.type === 'record.created' && r.json.data.record.id === record.id));
      expect(verifyStandardWebhook(secret, got.headers, got.body)).toBe(true);
      expect(got.json.data.record).toMatchObject({
        id: record.id,
        sessionId,
        studentId: student.id,
        status: record.status,
        version: record.version,
        student: { id: student.id, name: expect.any(String), studentNumber: student.studentNumber },
        course: { id: room.courseId, code: room.courseCode },
      });
      expect(got.json.data.record).not.toHaveProperty('sync');
      const opened = eventsOfSession(sessionId).find((r) => r.json.type === 'session.opened');
      expect(opened?.json.data.session.id).toBe(sessionId);

      const records = await eventually('sync delivered in the session list', async () => {
        const list = await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/records`, token: room.teacherToken });
        expect(list.statusCode).toBe(200);
        const item = list.json().items.find((i: { id: string }) => i.id === record.id);
        return item?.sync === 'delivered' && list.json().items;
      });
      expect(records).toHaveLength(1);
    });

    it('an endpoint that is down for a while gets everything afterwards, in order per session; sync shows pending meanwhile', async () => {
      const room = await buildClassroom(ctx(), 3);
      const sessionId = await scheduleSession(ctx(), room);
      await receiver.stop();
      try {
        const { code } = await openWithCode(ctx(), room, sessionId);
        for (const s of room.students.slice(0, 2)) {
          const res = await ctx().request({ method: 'POST', url: '/api/checkin', token: s.token, payload: { code } });
          expect(res.statusCode, res.body).toBe(201);
        }
        // The teacher corrects the first student to late, then closes: the third becomes absent.
        const mark = await ctx().request({
          method: 'PUT',
          url: `/api/sessions/${sessionId}/records/${room.students[0].id}`,
          token: room.teacherToken,
          payload: { status: 'late', note: 'came in after the quiz' },
        });
        expect(mark.statusCode, mark.body).toBe(200);
        const close = await ctx().request({ method: 'POST', url: `/api/sessions/${sessionId}/close`, token: room.teacherToken });
        expect(close.statusCode, close.body).toBe(200);

        await sleep(700);
        const list = await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/records`, token: room.teacherToken });
        expect(list.json().items).toHaveLength(3);
        for (const item of list.json().items) expect(item.sync).toBe('pending');
        const pending = await deliveriesOf(ctx(), admin.token, webhookId, '?state=pending');
        expect(pending).toHaveLength(6);
        expect(pending.some((d) => d.attempts > 0 && d.lastError !== null)).toBe(true);
      } finally {
        await receiver.start();
      }

      // session.opened, two check-ins, the correction, session.closed and the absent record.
      const events = await eventually('all 6 events after the outage', async () => {
        const e = eventsOfSession(sessionId);
        return new Set(e.map((r) => r.json.id)).size >= 6 && e;
      });
      // Each event once in its first delivery, and in the order the changes happened.
      const firstSeen = events.filter((r, i) => events.findIndex((o) => o.json.id === r.json.id) === i);
      const summary = firstSeen.map((r) => `${r.json.type}${r.json.data.record ? `:${r.json.data.record.studentId}:${r.json.data.record.status}` : ''}`);
      const [a, b, c] = room.students.map((s) => s.id);
      expect(summary.slice(0, 4)).toEqual(['session.opened', `record.created:${a}:present`, `record.created:${b}:present`, `record.updated:${a}:late`]);
      expect(summary.slice(4)).toEqual(expect.arrayContaining(['session.closed', `record.created:${c}:absent`]));
      expect(firstSeen.map((r) => r.json.id)).toEqual([...firstSeen.map((r) => r.json.id)].sort());
      for (const r of firstSeen) expect(verifyStandardWebhook(secret, r.headers, r.body)).toBe(true);

      await eventually('every record synced', async () => {
        const list = await ctx().request({ method: 'GET', url: `/api/sessions/${sessionId}/records`, token: room.teacherToken });
        return list.json().items.every((i: { sync: string }) => i.sync === 'delivered');
      });
    });

    it('record.sync is null while no endpoint is active', async () => {
      await ctx().request({ method: 'PATCH', url: `/api/webhooks/${webhookId}`, token: admin.token, payload: { active: false } });
      try {
        const room = await buildClassroom(ctx(), 1);
        const sessionId = await scheduleSession(ctx(), room);
        const { code } = await openWithCode(ctx(), room, sessionId);
        const res = await ctx().request({ method: 'POST', url: '/api/checkin', token: room.students[0].token, payload: { code } });
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json().record.sync).toBeNull();
        const outbox = await ctx().db.selectFrom('outbox_events').select('id').where('record_id', '=', res.json().record.id).execute();
        expect(outbox).toHaveLength(1);
        expect(await ctx().db.selectFrom('webhook_deliveries').select('id').where('event_id', '=', outbox[0].id).execute()).toHaveLength(0);
      } finally {
        await ctx().request({ method: 'PATCH', url: `/api/webhooks/${webhookId}`, token: admin.token, payload: { active: true } });
      }
    });
  },
  OUTAGE_ENV,
);

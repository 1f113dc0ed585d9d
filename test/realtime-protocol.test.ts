import { createSigner } from 'fast-jwt';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { WS_CLOSE, WS_LIMITS } from '../common/realtime.schemas.js';
import { AppError } from '../server/errors.js';
import { z } from 'zod';
import { userWithToken } from './support/factories.js';
import { describeEachDialect, TEST_SECRET } from './support/test-app.js';
import { openAuthedSocket, TestSocket, wsUrlOf } from './support/ws-client.js';

/** An access token that the server accepts as genuine but that expires `inMs` from now (or expired already). */
function tokenExpiringIn(userId: string, role: string, inMs: number): string {
  const sign = createSigner({
    key: TEST_SECRET,
    algorithm: 'HS256',
    iss: 'rollbook',
    expiresIn: 60_000,
    clockTimestamp: Date.now() + inMs - 60_000,
  });
  return sign({ sub: userId, role });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEachDialect('realtime protocol', (ctx) => {
  let url: string;
  let student: Awaited<ReturnType<typeof userWithToken>>;
  let other: Awaited<ReturnType<typeof userWithToken>>;
  let admin: Awaited<ReturnType<typeof userWithToken>>;

  beforeAll(async () => {
    await ctx().app.listen({ port: 0, host: '127.0.0.1' });
    url = wsUrlOf(ctx().app);
    student = await userWithToken(ctx(), 'student');
    other = await userWithToken(ctx(), 'student');
    admin = await userWithToken(ctx(), 'admin');
  });

  describe('authentication', () => {
    it('accepts ?token= and says READY with who the user is', async () => {
      const s = await TestSocket.open(`${url}?token=${student.token}`);
      const ready = await s.nextEvent('READY');
      expect(ready.data).toEqual({ userId: student.user.id, role: 'student' });
      s.close();
    });

    it('accepts the rb_access cookie', async () => {
      const s = await TestSocket.open(url, { headers: { cookie: `rb_access=${student.token}` } });
      expect((await s.nextEvent('READY')).data.userId).toBe(student.user.id);
      s.close();
    });

    it('refuses the cookie from a page on another site (4401)', async () => {
      const s = await TestSocket.open(url, { headers: { cookie: `rb_access=${student.token}`, origin: 'https://evil.example' } });
      expect((await s.closed).code).toBe(WS_CLOSE.unauthenticated);
    });

    it('accepts a first AUTH message and echoes its ref on READY', async () => {
      const s = await TestSocket.open(url);
      const ready = await s.request('AUTH', { token: student.token });
      expect(ready.event).toBe('READY');
      expect(ready.data).toEqual({ userId: student.user.id, role: 'student' });
      expect((await s.request('PING')).event).toBe('PONG');
      s.close();
    });

    it('closes with 4401 on a bad ?token=, a bad AUTH token and an expired token', async () => {
      const a = await TestSocket.open(`${url}?token=not-a-jwt`);
      expect((await a.closed).code).toBe(WS_CLOSE.unauthenticated);

      const b = await TestSocket.open(url);
      b.sendJson({ event: 'AUTH', data: { token: 'forged.token.value' } });
      expect((await b.closed).code).toBe(WS_CLOSE.unauthenticated);

      const expired = tokenExpiringIn(student.user.id, 'student', -5_000);
      const c = await TestSocket.open(`${url}?token=${expired}`);
      expect((await c.closed).code).toBe(WS_CLOSE.unauthenticated);

      const forgedSecret = createSigner({ key: 'x'.repeat(40), algorithm: 'HS256', iss: 'rollbook', expiresIn: 60_000 })({
        sub: admin.user.id,
        role: 'admin',
      });
      const d = await TestSocket.open(url);
      d.sendJson({ event: 'AUTH', data: { token: forgedSecret } });
      expect((await d.closed).code).toBe(WS_CLOSE.unauthenticated);
    });

    it('answers anything but AUTH before authentication with ERROR unauthenticated', async () => {
      const s = await TestSocket.open(url);
      const reply = await s.request('SUBSCRIBE', { topic: `user:${student.user.id}` });
      expect(reply).toMatchObject({ event: 'ERROR', data: { code: 'unauthenticated' } });
      const bad = await s.request('AUTH', { nope: 1 });
      expect(bad).toMatchObject({ event: 'ERROR', data: { code: 'validation_failed' } });
      expect((await s.request('AUTH', { token: student.token })).event).toBe('READY');
      s.close();
    });

    it(
      'closes an unauthenticated socket with 4401 when no AUTH arrives in time',
      async () => {
        const s = await TestSocket.open(url);
        const closed = await s.closed;
        expect(closed.code).toBe(WS_CLOSE.unauthenticated);
        expect(closed.reason).toMatch(/timeout/);
      },
      WS_LIMITS.authTimeoutMs + 15_000,
    );

    it('closes a socket with 4401 when its token expires, unless a fresh AUTH came first', async () => {
      const shortLived = tokenExpiringIn(student.user.id, 'student', 1_500);
      const s = await openAuthedSocket(url, shortLived);
      await s.subscribe(`user:${student.user.id}`);
      const closed = await s.closed;
      expect(closed.code).toBe(WS_CLOSE.unauthenticated);

      // A fresh AUTH before expiry moves the deadline: the socket outlives its first token.
      const renewed = await openAuthedSocket(url, tokenExpiringIn(student.user.id, 'student', 1_500));
      expect((await renewed.request('AUTH', { token: student.token })).event).toBe('READY');
      await sleep(2_500);
      expect((await renewed.request('PING')).event).toBe('PONG');
      expect((await renewed.request('SUBSCRIBE', { topic: `user:${student.user.id}` })).event).toBe('ACK');
      renewed.close();
    });

    it('queues messages sent before READY and answers them once authenticated', async () => {
      const s = await TestSocket.open(`${url}?token=${student.token}`);
      const ack = await s.request('SUBSCRIBE', { topic: `user:${student.user.id}` });
      expect(ack.event).toBe('ACK');
      expect(s.messages[0].event).toBe('READY');

      const t = await TestSocket.open(url);
      t.sendJson({ event: 'AUTH', data: { token: student.token } });
      expect((await t.request('PING')).event).toBe('PONG');
      s.close();
      t.close();
    });

    it('shuts out a deactivated user: at connect, and at the next SUBSCRIBE of an open socket', async () => {
      const victim = await userWithToken(ctx(), 'student');
      const open = await openAuthedSocket(url, victim.token);
      await ctx().db.updateTable('users').set({ active: 0 }).where('id', '=', victim.user.id).execute();
      expect((await open.request('PING')).event).toBe('PONG');
      open.sendJson({ event: 'SUBSCRIBE', data: { topic: `user:${victim.user.id}` } });
      expect((await open.closed).code).toBe(WS_CLOSE.unauthenticated);

      const fresh = await TestSocket.open(`${url}?token=${victim.token}`);
      expect((await fresh.closed).code).toBe(WS_CLOSE.unauthenticated);
    });

    it('refuses re-authentication as a different user', async () => {
      const s = await openAuthedSocket(url, student.token);
      const reply = await s.request('AUTH', { token: other.token });
      expect(reply).toMatchObject({ event: 'ERROR', data: { code: 'forbidden' } });
      expect((await s.request('PING')).event).toBe('PONG');
      s.close();
    });
  });

  describe('topics', () => {
    it('lets a user subscribe to their own topic and forbids another user’s', async () => {
      const s = await openAuthedSocket(url, student.token);
      const ack = await s.request('SUBSCRIBE', { topic: `user:${student.user.id}` });
      expect(ack).toMatchObject({ event: 'ACK', data: { topic: `user:${student.user.id}` } });
      const again = await s.request('SUBSCRIBE', { topic: `user:${student.user.id}` });
      expect(again.event).toBe('ACK');

      const denied = await s.request('SUBSCRIBE', { topic: `user:${other.user.id}` });
      expect(denied).toMatchObject({ event: 'ERROR', data: { code: 'forbidden' } });

      const admins = await openAuthedSocket(url, admin.token);
      expect((await admins.request('SUBSCRIBE', { topic: `user:${student.user.id}` })).data.code).toBe('forbidden');
      admins.close();

      expect((await s.request('UNSUBSCRIBE', { topic: `user:${student.user.id}` })).event).toBe('ACK');
      s.close();
    });

    it('allows session topics to admins only until the courses module registers its rules', async () => {
      const s = await openAuthedSocket(url, student.token);
      expect((await s.request('SUBSCRIBE', { topic: 'session:some-session' })).data.code).toBe('forbidden');
      s.close();
      if (ctx().app.topics.isProvisional('session')) {
        const a = await openAuthedSocket(url, admin.token);
        expect((await a.request('SUBSCRIBE', { topic: 'session:some-session' })).event).toBe('ACK');
        a.close();
      }
    });

    it('answers unknown and malformed topics with an ERROR', async () => {
      const s = await openAuthedSocket(url, student.token);
      expect((await s.request('SUBSCRIBE', { topic: 'weather:today' })).data.code).toBe('unknown_topic');
      const malformed = await s.request('SUBSCRIBE', { topic: 'no colon here' });
      expect(malformed.data).toMatchObject({ code: 'validation_failed', errors: [{ path: 'data.topic' }] });
      expect((await s.request('SUBSCRIBE', {})).data.code).toBe('validation_failed');
      s.close();
    });

    it('delivers published events to subscribed sockets only, with the topic in the envelope', async () => {
      const s = await openAuthedSocket(url, student.token);
      const o = await openAuthedSocket(url, other.token);
      await s.subscribe(`user:${student.user.id}`);
      await o.subscribe(`user:${other.user.id}`);
      ctx().app.bus.publish(`user:${student.user.id}`, 'HELLO', { n: 1 });
      ctx().app.bus.publish(`user:${other.user.id}`, 'HELLO', { n: 2 });
      expect(await s.nextEvent('HELLO')).toEqual({ event: 'HELLO', topic: `user:${student.user.id}`, data: { n: 1 } });
      expect((await o.nextEvent('HELLO')).data).toEqual({ n: 2 });
      await s.request('UNSUBSCRIBE', { topic: `user:${student.user.id}` });
      ctx().app.bus.publish(`user:${student.user.id}`, 'HELLO', { n: 3 });
      ctx().app.bus.publish(`user:${other.user.id}`, 'HELLO', { n: 4 });
      expect((await o.nextEvent('HELLO')).data).toEqual({ n: 4 });
      // The PONG comes after anything published before the PING was answered.
      await s.request('PING');
      expect(s.messages.filter((m) => m.event === 'HELLO')).toHaveLength(1);
      s.close();
      o.close();
    });
  });

  describe('envelope and robustness', () => {
    it('echoes string and numeric refs, and PING gets PONG', async () => {
      const s = await openAuthedSocket(url, student.token);
      s.sendJson({ event: 'PING', data: {}, ref: 'abc-1' });
      expect(await s.next((m) => m.ref === 'abc-1', 'PONG abc-1')).toMatchObject({ event: 'PONG', ref: 'abc-1' });
      s.sendJson({ event: 'PING', ref: 42 });
      expect(await s.next((m) => m.ref === 42, 'PONG 42')).toMatchObject({ event: 'PONG', ref: 42 });
      s.close();
    });

    it('answers malformed frames with ERROR and keeps the socket open', async () => {
      const s = await openAuthedSocket(url, student.token);
      s.sendRaw('{not json');
      expect((await s.nextEvent('ERROR')).data.code).toBe('invalid_json');
      s.sendRaw('[1,2,3]');
      expect((await s.nextEvent('ERROR')).data.code).toBe('validation_failed');
      s.sendRaw('"just a string"');
      expect((await s.nextEvent('ERROR')).data.code).toBe('validation_failed');
      s.sendJson({ data: {}, ref: 'no-event' });
      expect(await s.next((m) => m.ref === 'no-event', 'reply to a message without event')).toMatchObject({
        event: 'ERROR',
        data: { code: 'validation_failed', errors: [{ path: 'event' }] },
      });
      s.sendJson({ event: 42, ref: 'numeric-event' });
      expect((await s.next((m) => m.ref === 'numeric-event', 'reply')).data.code).toBe('validation_failed');
      s.sendRaw(Buffer.from([0, 1, 2, 3]));
      s.ws.send(Buffer.from('{"event":"PING"}'), { binary: true });
      expect((await s.nextEvent('ERROR')).data.code).toBe('invalid_json');
      expect((await s.request('PING')).event).toBe('PONG');
      expect(s.ws.readyState).toBe(s.ws.OPEN);
      s.close();
    });

    it('answers an unknown event with ERROR unknown_event', async () => {
      const s = await openAuthedSocket(url, student.token);
      expect(await s.request('FLY_TO_THE_MOON', {})).toMatchObject({ event: 'ERROR', data: { code: 'unknown_event' } });
      expect((await s.request('PING')).event).toBe('PONG');
      s.close();
    });

    it('refuses an oversized message with ERROR and closes on a huge frame with 1009; the server lives on', async () => {
      const s = await openAuthedSocket(url, student.token);
      s.sendJson({ event: 'PING', data: { filler: 'x'.repeat(WS_LIMITS.maxMessageBytes + 10) }, ref: 'big' });
      expect((await s.nextEvent('ERROR')).data.code).toBe('payload_too_large');
      expect((await s.request('PING')).event).toBe('PONG');

      s.sendRaw('x'.repeat(WS_LIMITS.maxFrameBytes + 1));
      expect((await s.closed).code).toBe(WS_CLOSE.tooLarge);

      const health = await ctx().request({ method: 'GET', url: '/api/health' });
      expect(health.statusCode).toBe(200);
      const again = await openAuthedSocket(url, student.token);
      expect((await again.request('PING')).event).toBe('PONG');
      again.close();
    });

    it('rate-limits a flood: the excess gets ERROR rate_limited, the socket stays usable', async () => {
      const s = await openAuthedSocket(url, student.token);
      const burst = WS_LIMITS.messagesPerSecond * 3;
      for (let i = 0; i < burst; i++) s.sendJson({ event: 'PING', ref: `flood-${i}` });
      const limited = await s.next((m) => m.event === 'ERROR' && m.data.code === 'rate_limited', 'ERROR rate_limited');
      expect(limited.data.message).toMatch(/per second/);
      // Wait out the one-second window, then the socket works normally again.
      await sleep(1_100);
      expect((await s.request('PING')).event).toBe('PONG');
      const pongs = s.messages.filter((m) => m.event === 'PONG' && String(m.ref).startsWith('flood-')).length;
      expect(pongs).toBeLessThan(burst);
      expect(pongs).toBeGreaterThan(0);
      s.close();
    });

    it('drops sockets that stop answering heartbeats and keeps live ones', async () => {
      const live = await openAuthedSocket(url, student.token);
      const silent = await TestSocket.open(`${url}?token=${other.token}`, { autoPong: false });
      await silent.nextEvent('READY');
      const pinged = new Promise<void>((resolve) => live.ws.once('ping', () => resolve()));
      ctx().app.realtime.sweep();
      await pinged;
      // The live client's pong is on the wire before this PING, so the server has seen it by the PONG.
      await live.request('PING');
      ctx().app.realtime.sweep();
      expect((await silent.closed).code).toBe(1006);
      expect((await live.request('PING')).event).toBe('PONG');
      live.close();
    });

    it('counts sockets for metrics', async () => {
      const s = await openAuthedSocket(url, student.token);
      await s.subscribe(`user:${student.user.id}`);
      const during = ctx().app.realtime.stats();
      expect(during.sockets).toBeGreaterThanOrEqual(1);
      expect(during.authenticated).toBeGreaterThanOrEqual(1);
      expect(during.subscriptions).toBeGreaterThanOrEqual(1);
      expect(during.bus).toBe(ctx().app.bus.state);
      s.close();
      await s.closed;
      await vi.waitFor(() => expect(ctx().app.realtime.stats().sockets).toBeLessThan(during.sockets), { timeout: 5_000 });
    });

    it('answers a plain GET with 426', async () => {
      const res = await ctx().request({ method: 'GET', url: '/api/ws' });
      expect(res.statusCode).toBe(426);
      expect(res.json().code).toBe('upgrade_required');
    });
  });

  describe('pluggable client events', () => {
    beforeAll(() => {
      const events = ctx().app.socketEvents;
      events.register(
        'TEST_ECHO',
        (socket, data) => {
          if (data.text === 'boom') throw new AppError(409, 'invalid_state', 'Invalid state', 'Boom refused.');
          if (data.text === 'crash') throw new Error('unexpected');
          return { event: 'ECHO', data: { text: data.text, userId: socket.auth.userId } };
        },
        { schema: z.object({ text: z.string().max(10) }) },
      );
      events.register('TEST_ADMIN_ONLY', () => undefined, { roles: ['admin'] });
    });

    it('validates data, replies with the handler’s event and maps errors to ERROR', async () => {
      const s = await openAuthedSocket(url, student.token);
      expect(await s.request('TEST_ECHO', { text: 'hi' })).toMatchObject({ event: 'ECHO', data: { text: 'hi', userId: student.user.id } });
      expect((await s.request('TEST_ECHO', { text: 'far too long text' })).data).toMatchObject({
        code: 'validation_failed',
        errors: [{ path: 'data.text' }],
      });
      expect((await s.request('TEST_ECHO', { text: 'boom' })).data).toEqual({ code: 'invalid_state', message: 'Boom refused.' });
      expect((await s.request('TEST_ECHO', { text: 'crash' })).data.code).toBe('internal_error');
      expect((await s.request('TEST_ADMIN_ONLY')).data.code).toBe('forbidden');
      s.close();

      const a = await openAuthedSocket(url, admin.token);
      expect(await a.request('TEST_ADMIN_ONLY')).toMatchObject({ event: 'ACK', data: {} });
      a.close();
    });

    it('refuses to register a built-in or duplicate name', () => {
      expect(() => ctx().app.socketEvents.register('PING', () => undefined)).toThrow();
      expect(() => ctx().app.socketEvents.register('AUTH', () => undefined)).toThrow();
      expect(() => ctx().app.socketEvents.register('lower_case', () => undefined)).toThrow();
    });
  });
});

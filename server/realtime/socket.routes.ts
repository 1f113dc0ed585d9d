import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { RawData, WebSocket } from 'ws';
import { z } from 'zod';
import {
  WS_CLOSE,
  WS_LIMITS,
  type WsErrorData,
  type WsRef,
  wsAuthData,
  wsEnvelopeSchema,
  wsTopicData,
} from '../../common/realtime.schemas.js';
import { AppError, forbidden, sendProblem } from '../errors.js';
import { nowIso } from '../lib/ids.js';
import { findUserAccess } from '../modules/users/users.repository.js';
import { ACCESS_COOKIE, originMatches } from '../plugins/auth.plugin.js';
import { Connection, SocketHub } from './socket-hub.js';
import { SocketEventRegistry } from './socket-events.js';
import { ACCESS_TOPIC, type AccessChange, type AccessChangeReason } from './access-changes.js';
import { sessionTopic, type TopicAuth } from './topics.js';
import { courseSessionIds } from '../modules/sessions/sessions.repository.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** This node's sockets: `app.realtime.stats()` for metrics. */
    realtime: SocketHub;
    /** Client → server socket events: `app.socketEvents.register('DONE', handler, {schema, roles})`. */
    socketEvents: SocketEventRegistry;
  }
}

const wsError = (code: string, message: string, errors?: WsErrorData['errors']): WsErrorData =>
  errors ? { code, message, errors } : { code, message };

function zodErrors(error: z.ZodError, prefix: string): { path: string; message: string }[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || prefix || 'message',
    message: i.message,
  }));
}

function sizeOf(raw: RawData): number {
  if (Array.isArray(raw)) return raw.reduce((n, b) => n + b.length, 0);
  return raw instanceof ArrayBuffer ? raw.byteLength : raw.length;
}

function textOf(raw: RawData): string {
  if (Array.isArray(raw)) return Buffer.concat(raw).toString('utf8');
  return Buffer.from(raw as ArrayBuffer).toString('utf8');
}

/** A token must not end up in the request log: `?token=` is replaced. */
function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&]*/g, '$1[redacted]');
}

/**
 * `/api/ws`: authentication, the `{event, data, ref}` envelope, SUBSCRIBE/UNSUBSCRIBE/PING and the
 * pluggable client events, per-socket limits and heartbeats. See docs/realtime.md.
 */
async function socketRoutes(app: FastifyInstance) {
  // Record events on a watched session topic (from any node) make this node count the session's summary for its sockets.
  const hub = new SocketHub(app.bus, (topic, frame) => app.summaries?.onFrame(topic, frame));
  const events = new SocketEventRegistry();
  app.decorate('realtime', hub);
  app.decorate('socketEvents', events);

  // Before @fastify/websocket's own preClose (which closes without a code): tell clients to reconnect.
  app.addHook('preClose', async () => {
    clearInterval(heartbeat);
    hub.closeAll(WS_CLOSE.goingAway, 'server shutting down');
  });
  await app.register(websocket, { options: { maxPayload: WS_LIMITS.maxFrameBytes, clientTracking: false } });

  const heartbeat = setInterval(() => hub.sweep(), WS_LIMITS.heartbeatMs);
  heartbeat.unref();

  function verify(token: string) {
    return app.tokens.verifyAccess(token);
  }

  /**
   * Like HTTP requests, a socket answers to the database, not just the token: a deactivated user is
   * shut out and a changed role applies. Closes with 4401 (or 1011 if the database fails) and
   * returns null when the user may not continue.
   */
  async function currentAccess(conn: Connection, userId: string): Promise<TopicAuth | null> {
    let row;
    try {
      row = await findUserAccess(app.db, userId);
    } catch (err) {
      conn.log.error({ err, socketId: conn.id }, 'could not check the socket user');
      conn.close(WS_CLOSE.internalError, 'server error: reconnect later');
      return null;
    }
    if (!row || row.active !== 1) {
      conn.close(WS_CLOSE.unauthenticated, 'account no longer exists or is deactivated');
      return null;
    }
    return { userId, role: row.role };
  }

  async function authenticate(conn: Connection, token: string, ref?: WsRef): Promise<void> {
    const claims = verify(token);
    if (!claims) {
      conn.close(WS_CLOSE.unauthenticated, 'invalid or expired token');
      return;
    }
    if (conn.authState && conn.authState.userId !== claims.sub) {
      conn.send('ERROR', wsError('forbidden', 'This socket belongs to another user; open a new socket to switch users.'), ref);
      return;
    }
    const access = await currentAccess(conn, claims.sub);
    if (!access) return;
    if (conn.authTimer) clearTimeout(conn.authTimer);
    conn.authTimer = null;
    conn.authState = access;
    conn.token = token;
    scheduleExpiry(conn, claims.exp);
    conn.send('READY', access, ref);
  }

  /**
   * A socket lives as long as its access token: at expiry it closes with 4401 unless the client sent
   * a fresh AUTH before (which moves the deadline). Clients renew the token and reconnect.
   */
  function scheduleExpiry(conn: Connection, exp: number | undefined): void {
    if (conn.expiryTimer) clearTimeout(conn.expiryTimer);
    conn.expiryTimer = null;
    if (exp === undefined) return;
    // setTimeout holds at most ~24.8 days; tokens live far shorter.
    const ms = Math.min(Math.max(0, exp * 1000 - Date.now()), 2 ** 31 - 1);
    conn.expiryTimer = setTimeout(() => conn.close(WS_CLOSE.unauthenticated, 'access token expired: send AUTH with a fresh token before expiry, or reconnect'), ms);
    conn.expiryTimer.unref();
  }

  /**
   * Re-checks one socket after its user's access changed: a deactivated account is closed (4401), a
   * new role applies, and every topic the user may no longer see is dropped with UNSUBSCRIBED.
   */
  async function recheck(conn: Connection, reason: AccessChangeReason): Promise<void> {
    if (!conn.authState || !conn.open) return;
    const access = await currentAccess(conn, conn.authState.userId);
    if (!access) return;
    conn.authState = access;
    for (const topic of [...conn.topics]) {
      let decision;
      try {
        decision = await app.topics.authorize(access, topic);
      } catch (err) {
        conn.log.error({ err, socketId: conn.id, topic }, 'could not re-check a topic; dropping it');
        decision = 'forbidden';
      }
      if (decision === 'allowed') continue;
      hub.leave(conn, topic);
      conn.send('UNSUBSCRIBED', { topic, reason });
    }
  }

  async function onAccessChange(change: AccessChange): Promise<void> {
    const targets = new Set<Connection>();
    for (const userId of change.userIds ?? []) for (const c of hub.connectionsOf(userId)) targets.add(c);
    if (change.courseId) {
      for (const id of await courseSessionIds(app.db, change.courseId)) {
        for (const c of hub.subscribersOf(sessionTopic(id))) targets.add(c);
      }
    }
    await Promise.all([...targets].map((c) => recheck(c, change.reason)));
  }

  // Changes made on any node arrive through the bus.
  const accessListener = (frame: string) => {
    const { data } = JSON.parse(frame) as { data: AccessChange };
    onAccessChange(data).catch((err: unknown) => app.log.error({ err }, 'could not apply an access change to sockets'));
  };
  await app.bus.subscribe(ACCESS_TOPIC, accessListener);
  app.addHook('onClose', async () => app.bus.unsubscribe(ACCESS_TOPIC, accessListener));

  /** Runs `authenticate`; messages that arrive meanwhile wait for it (in order). */
  function startAuthentication(conn: Connection, token: string, ref?: WsRef): Promise<void> {
    const pending = authenticate(conn, token, ref)
      .catch((err: unknown) => replyError(conn, err, 'AUTH', ref))
      .finally(() => {
        if (conn.authPending === pending) conn.authPending = null;
      });
    conn.authPending = pending;
    return pending;
  }

  function replyError(conn: Connection, err: unknown, event: string, ref: WsRef | undefined) {
    if (err instanceof AppError) {
      conn.send('ERROR', wsError(err.code, err.detail ?? err.title, err.errors), ref);
      return;
    }
    conn.log.error({ err, event, socketId: conn.id }, 'socket event handler failed');
    conn.send('ERROR', wsError('internal_error', 'Something went wrong on the server. It has been logged.'), ref);
  }

  async function dispatch(conn: Connection, event: string, data: unknown, ref: WsRef | undefined): Promise<void> {
    if (event === 'AUTH') {
      const parsed = wsAuthData.safeParse(data);
      if (!parsed.success) {
        conn.send('ERROR', wsError('validation_failed', 'AUTH needs {"token": "<accessToken>"}.', zodErrors(parsed.error, 'data')), ref);
        return;
      }
      await startAuthentication(conn, parsed.data.token, ref);
      return;
    }
    if (!conn.authState) {
      conn.send('ERROR', wsError('unauthenticated', 'Send {"event":"AUTH","data":{"token":"…"}} first.'), ref);
      return;
    }
    const entry = events.get(event);
    if (!entry) {
      conn.send('ERROR', wsError('unknown_event', `Unknown event "${event}".`), ref);
      return;
    }
    if (entry.freshToken) {
      if (!conn.token || !verify(conn.token)) {
        conn.send(
          'ERROR',
          wsError('unauthenticated', 'The access token of this socket has expired: send AUTH with a fresh token (or reconnect).'),
          ref,
        );
        return;
      }
      const access = await currentAccess(conn, conn.authState.userId);
      if (!access) return;
      conn.authState = access;
    }
    if (entry.roles && !entry.roles.has(conn.authState.role)) {
      conn.send('ERROR', wsError('forbidden', 'Your role does not allow this.'), ref);
      return;
    }
    let input = data;
    if (entry.schema) {
      const parsed = entry.schema.safeParse(data ?? {});
      if (!parsed.success) {
        conn.send('ERROR', wsError('validation_failed', `Invalid data for ${event}.`, zodErrors(parsed.error, 'data')), ref);
        return;
      }
      input = parsed.data;
    }
    try {
      const reply = await entry.handler(conn, input, ref);
      conn.send(reply?.event ?? 'ACK', reply?.data ?? {}, ref);
    } catch (err) {
      replyError(conn, err, event, ref);
    }
  }

  function onMessage(conn: Connection, raw: RawData, isBinary: boolean): void {
    conn.alive = true;
    if (!conn.allowMessage()) {
      // Only the first message over the limit is answered, so a flood cannot make us talk back.
      if (conn.firstOverLimit) {
        conn.send('ERROR', wsError('rate_limited', `More than ${WS_LIMITS.messagesPerSecond} messages per second; the excess is dropped.`));
      }
      return;
    }
    if (isBinary) {
      conn.send('ERROR', wsError('invalid_json', 'Binary frames are not supported: send JSON text.'));
      return;
    }
    if (sizeOf(raw) > WS_LIMITS.maxMessageBytes) {
      conn.send('ERROR', wsError('payload_too_large', `Messages are limited to ${WS_LIMITS.maxMessageBytes} bytes.`));
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(textOf(raw));
    } catch {
      conn.send('ERROR', wsError('invalid_json', 'The message is not valid JSON.'));
      return;
    }
    const envelope = wsEnvelopeSchema.safeParse(message);
    if (!envelope.success) {
      const maybeRef = (message as { ref?: unknown } | null)?.ref;
      const ref = typeof maybeRef === 'string' && maybeRef.length <= 100 ? maybeRef : typeof maybeRef === 'number' ? maybeRef : undefined;
      conn.send(
        'ERROR',
        wsError('validation_failed', 'A message is {"event": NAME, "data": {...}, "ref"?: string}.', zodErrors(envelope.error, '')),
        ref,
      );
      return;
    }
    const { event, data, ref } = envelope.data;
    const run = () => dispatch(conn, event, data, ref).catch((err: unknown) => replyError(conn, err, event, ref));
    if (conn.authPending) void conn.authPending.then(run);
    else void run();
  }

  /** Credentials sent with the upgrade: `?token=`, else the access cookie (same-origin only). */
  function upgradeToken(request: FastifyRequest): { token: string } | { error: string } | null {
    const query = request.query as Record<string, unknown>;
    if (query.token !== undefined) {
      return typeof query.token === 'string' && query.token ? { token: query.token } : { error: 'invalid token' };
    }
    const cookie = request.cookies?.[ACCESS_COOKIE];
    if (cookie) {
      // A page on another site must not ride on the user's cookie (browsers always send Origin).
      if (request.headers.origin && !originMatches(request, app.config.PUBLIC_URL)) return { error: 'cross-origin cookie' };
      return { token: cookie };
    }
    return null;
  }

  function onConnection(ws: WebSocket, request: FastifyRequest): void {
    const conn = new Connection(ws, request.log, request.raw.socket);
    hub.add(conn);
    // Listeners are attached synchronously so no early message is lost.
    ws.on('message', (raw, isBinary) => onMessage(conn, raw, isBinary));
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('close', () => hub.remove(conn));
    ws.on('error', (err) => conn.log.debug({ err, socketId: conn.id }, 'socket error'));

    const upgrade = upgradeToken(request);
    if (upgrade && 'error' in upgrade) {
      conn.close(WS_CLOSE.unauthenticated, upgrade.error);
      return;
    }
    if (upgrade) {
      void startAuthentication(conn, upgrade.token);
      return;
    }
    conn.authTimer = setTimeout(() => {
      if (!conn.authState) conn.close(WS_CLOSE.unauthenticated, 'authentication timeout: send AUTH first');
    }, WS_LIMITS.authTimeoutMs);
    conn.authTimer.unref();
  }

  // Built-in client events.
  events.register(
    'SUBSCRIBE',
    async (socket, { topic }) => {
      const conn = socket as Connection;
      if (conn.topics.has(topic)) return { event: 'ACK', data: { topic } };
      if (conn.topics.size >= WS_LIMITS.maxSubscriptions) {
        throw new AppError(429, 'too_many_subscriptions', 'Too many subscriptions', `A socket may hold ${WS_LIMITS.maxSubscriptions} topics.`);
      }
      const decision = await app.topics.authorize(conn.auth, topic);
      if (decision === 'unknown_topic') throw new AppError(400, 'unknown_topic', 'Unknown topic', `There is no topic "${topic}".`);
      if (decision === 'forbidden') throw forbidden(`You may not subscribe to ${topic}.`);
      await hub.join(conn, topic);
      return { event: 'ACK', data: { topic } };
    },
    { schema: wsTopicData },
  );
  events.register(
    'UNSUBSCRIBE',
    (socket, { topic }) => {
      hub.leave(socket as Connection, topic);
      return { event: 'ACK', data: { topic } };
    },
    { schema: wsTopicData, freshToken: false },
  );
  events.register('PING', () => ({ event: 'PONG', data: { at: nowIso() } }), { freshToken: false });

  app.route({
    method: 'GET',
    url: '/api/ws',
    schema: {
      tags: ['realtime'],
      summary: 'WebSocket endpoint (upgrade only)',
      description:
        'Live events. Authenticate with `?token=`, the session cookie or a first `AUTH` message; see docs/realtime.md. ' +
        'A plain GET gets 426.',
    },
    logSerializers: {
      req: (req: FastifyRequest) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
    },
    handler: (_request, reply) =>
      sendProblem(reply.header('upgrade', 'websocket'), {
        type: 'about:blank',
        title: 'Upgrade required',
        status: 426,
        code: 'upgrade_required',
        detail: 'This is a WebSocket endpoint: connect with a WebSocket client (see docs/realtime.md).',
      }),
    wsHandler: onConnection,
  });
}

export default fp(socketRoutes, { name: 'realtime-sockets', dependencies: ['auth', 'bus', 'topics', '@fastify/cookie'] });

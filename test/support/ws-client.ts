import type { FastifyInstance } from 'fastify';
import { WebSocket, type ClientOptions } from 'ws';

export interface WsMessage {
  event: string;
  data: any;
  ref?: string | number;
  topic?: string;
}

/** Waits generously for events: failures name what was awaited and what arrived instead. */
export const EVENT_WAIT_MS = 10_000;

/**
 * A test WebSocket client: keeps every message it receives, so a test can wait for one that matches
 * (`next`), send a request and wait for the reply with the same ref (`request`), or await the close.
 */
export class TestSocket {
  readonly messages: WsMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { match: (m: WsMessage) => boolean; resolve: (m: WsMessage) => void }[] = [];
  private refCounter = 0;
  private consumed = new Set<WsMessage>();

  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      let m: WsMessage;
      try {
        m = JSON.parse(raw.toString()) as WsMessage;
      } catch {
        m = { event: '__unparseable__', data: raw.toString() };
      }
      this.messages.push(m);
      for (const w of [...this.waiters]) {
        if (!this.consumed.has(m) && w.match(m)) {
          this.consumed.add(m);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens a socket to `url` and waits until it is open. */
  static async open(url: string, options: ClientOptions = {}): Promise<TestSocket> {
    const ws = new WebSocket(url, options);
    const socket = new TestSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
    });
    return socket;
  }

  sendJson(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** The first not-yet-consumed message matching `match` (already received or still to come). */
  next(match: (m: WsMessage) => boolean, label: string, timeoutMs = EVENT_WAIT_MS): Promise<WsMessage> {
    const seen = this.messages.find((m) => !this.consumed.has(m) && match(m));
    if (seen) {
      this.consumed.add(seen);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (m: WsMessage) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        const got = this.messages.map((m) => JSON.stringify(m)).join('\n  ');
        reject(new Error(`no ${label} within ${timeoutMs} ms; received:\n  ${got || '(nothing)'}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Next message with this event name. */
  nextEvent(event: string, timeoutMs = EVENT_WAIT_MS): Promise<WsMessage> {
    return this.next((m) => m.event === event, `${event} event`, timeoutMs);
  }

  /** Sends `{event, data, ref}` and resolves with the reply carrying that ref. */
  request(event: string, data: unknown = {}, timeoutMs = EVENT_WAIT_MS): Promise<WsMessage> {
    const ref = `r${++this.refCounter}`;
    this.sendJson({ event, data, ref });
    return this.next((m) => m.ref === ref, `reply to ${event} (ref ${ref})`, timeoutMs);
  }

  /** SUBSCRIBE and expect ACK. */
  async subscribe(topic: string): Promise<void> {
    const reply = await this.request('SUBSCRIBE', { topic });
    if (reply.event !== 'ACK') throw new Error(`SUBSCRIBE ${topic} got ${JSON.stringify(reply)}`);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}

/** The ws:// base URL of a listening app. */
export function wsUrlOf(app: FastifyInstance): string {
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('the app is not listening on a TCP port');
  return `ws://127.0.0.1:${address.port}/api/ws`;
}

/** Opens a socket authenticated by `?token=` and waits for READY. */
export async function openAuthedSocket(baseWsUrl: string, token: string): Promise<TestSocket> {
  const socket = await TestSocket.open(`${baseWsUrl}?token=${encodeURIComponent(token)}`);
  await socket.nextEvent('READY');
  return socket;
}

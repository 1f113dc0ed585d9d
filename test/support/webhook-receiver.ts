import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the receiver does with one request: answer with a status, or hold it and never answer. */
export type ReceiverAction = number | 'hang';

export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { id: string; type: string; createdAt: string; data: any };
  at: number;
}

/**
 * A real HTTP endpoint in the test process. `script` answers requests in turn; once it is used up
 * every request gets `fallback` (200 unless changed). `stop()` closes the port (connections are
 * refused, as for an endpoint that is down) and `start()` listens on the same port again.
 */
export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  script: ReceiverAction[];
  fallback: ReceiverAction;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(path = '/hook'): Promise<WebhookReceiver> {
  const held = new Set<http.ServerResponse>();
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    script: [],
    fallback: 200,
    stop: async () => {
      for (const res of held) res.destroy();
      held.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    start: async () => {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    },
    close: async () => {
      if (server.listening) await receiver.stop();
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: ReceivedWebhook['json'];
      try {
        json = JSON.parse(body);
      } catch {
        json = { id: '', type: 'unparseable', createdAt: '', data: body };
      }
      receiver.received.push({ headers: req.headers, body, json, at: Date.now() });
      const action = receiver.script.length > 0 ? receiver.script.shift()! : receiver.fallback;
      if (action === 'hang') {
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      res.writeHead(action, { 'content-type': 'text/plain' }).end(action >= 300 ? 'receiver says no' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${port}${path}`;
  return receiver;
}

/**
 * Standard Webhooks verification written from the spec, independently of the server's signer: the
 * key is the base64 after `whsec_`, the signed content `<webhook-id>.<webhook-timestamp>.<raw body>`,
 * the header a space-separated list of `v1,<base64 HMAC-SHA256>`.
 */
export function verifyStandardWebhook(secret: string, headers: http.IncomingHttpHeaders, rawBody: string): boolean {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sig = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof ts !== 'string' || typeof sig !== 'string') return false;
  if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  if (!secret.startsWith('whsec_')) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${rawBody}`, 'utf8').digest();
  return sig.split(' ').some((part) => {
    const [version, value] = part.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

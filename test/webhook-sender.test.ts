import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebhookSender, type OutgoingWebhook } from '../server/modules/webhooks/webhook-sender.js';

/**
 * The webhook sender's thread: the transport of the delivery job (webhooks.test.ts covers the job
 * end to end). A real HTTP server in this process; what it answers is decided per path.
 */
describe('webhook sender (a thread of its own)', () => {
  const received: { path: string; body: string; headers: http.IncomingHttpHeaders; socket: number }[] = [];
  const sockets = new Map<object, number>();
  let server: http.Server;
  let base = '';
  let sender: WebhookSender;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!sockets.has(req.socket)) sockets.set(req.socket, sockets.size + 1);
        const path = req.url ?? '';
        received.push({ path, body: Buffer.concat(chunks).toString(), headers: req.headers, socket: sockets.get(req.socket)! });
        if (path.startsWith('/fail')) res.writeHead(503, { 'content-type': 'text/plain' }).end('  down for maintenance  ');
        else if (path.startsWith('/slow')) setTimeout(() => res.writeHead(204).end(), 1_000);
        else if (path.startsWith('/moved')) res.writeHead(302, { location: '/ok' }).end();
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sender = new WebhookSender();
  });
  afterEach(() => {
    received.length = 0;
  });
  afterAll(async () => {
    await sender.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const post = (path: string, body = `{"n":"${path}"}`): OutgoingWebhook => ({ url: `${base}${path}`, headers: { 'content-type': 'application/json', 'webhook-id': path }, body });
  const options = () => ({ timeoutMs: 300, claimedAt: Date.now(), limitMs: 5_000 });

  it('sends each run in order, runs side by side, and stops a run at its first failure (the rest unsent)', async () => {
    const results = await sender.send([[post('/a1'), post('/a2'), post('/a3')], [post('/b1'), post('/fail/b2'), post('/b3')]], options());
    expect(results[0].map((r) => r?.status)).toEqual([204, 204, 204]);
    expect(results[1][0]).toMatchObject({ status: 204 });
    expect(results[1][1]).toMatchObject({ status: 503, error: 'HTTP 503: down for maintenance' });
    expect(results[1][2]).toBeNull();
    expect(results.flat().every((r) => r === null || typeof r.at === 'number')).toBe(true);
    const paths = received.map((r) => r.path);
    expect(paths.filter((p) => p.startsWith('/a'))).toEqual(['/a1', '/a2', '/a3']);
    expect(paths).not.toContain('/b3');
    const a1 = received.find((r) => r.path === '/a1')!;
    expect(a1.body).toBe('{"n":"/a1"}');
    expect(a1.headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': '/a1', 'content-length': String('{"n":"/a1"}'.length) });
  });

  it("sends to the URL's path and query, the same endpoint again and again", async () => {
    const results = await sender.send([[post('/q?tenant=7&x=a%20b'), post('/q?tenant=7&x=a%20b'), post('/q2')]], options());
    expect(results[0].map((r) => r?.status)).toEqual([204, 204, 204]);
    expect(received.map((r) => r.path)).toEqual(['/q?tenant=7&x=a%20b', '/q?tenant=7&x=a%20b', '/q2']);
  });

  it('an endpoint that does not answer in time, one that refuses, a redirect and a bad URL are failures with a reason', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/hook`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const [[slow], [refused], [moved], [bad]] = await sender.send(
      [[post('/slow')], [{ ...post('/x'), url: refusedUrl }], [post('/moved')], [{ ...post('/x'), url: 'ftp://example.test/hook' }]],
      options(),
    );
    expect(slow).toMatchObject({ status: null, error: 'no answer within 300 ms' });
    expect(refused).toMatchObject({ status: null, error: expect.stringContaining('ECONNREFUSED') });
    expect(moved).toMatchObject({ status: 302, error: 'HTTP 302' });
    expect(bad).toMatchObject({ status: null, error: 'not an http(s) URL: ftp:' });
  });

  it('keeps connections alive between batches, and a connection the endpoint closed meanwhile is not a failure', async () => {
    await sender.send([[post('/k1')]], options());
    // Past the first POST's time limit (300 ms): its timer must not touch the connection it gave back.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const [[k2result]] = await sender.send([[post('/k2')]], options());
    expect(k2result).toMatchObject({ status: 204 });
    const [k1, k2] = received;
    expect(k2.socket).toBe(k1.socket);
    // The endpoint drops its idle connections (as at its keep-alive timeout): the next POST still arrives.
    server.closeIdleConnections();
    const [[k3]] = await sender.send([[post('/k3')]], options());
    expect(k3).toMatchObject({ status: 204 });
    expect(received.map((r) => r.path)).toEqual(['/k1', '/k2', '/k3']);
  });

  it('a run whose time is up leaves the rest unsent', async () => {
    // Claimed long ago: only the first POST of each run may start.
    const [[first, second]] = await sender.send([[post('/t1'), post('/t2')]], { timeoutMs: 300, claimedAt: Date.now() - 1_000, limitMs: 5_000 });
    expect(first).toMatchObject({ status: 204 });
    expect(second).toBeNull();
    expect(received.map((r) => r.path)).toEqual(['/t1']);
  });

  it('a thread that stops fails what it was sending, and the next batch goes out on a new one', async () => {
    const pending = sender.send([[post('/slow')]], { timeoutMs: 2_000, claimedAt: Date.now(), limitMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await (sender as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect(pending).rejects.toThrow(/webhook sender stopped/);
    const [[again]] = await sender.send([[post('/after')]], options());
    expect(again).toMatchObject({ status: 204 });
  });

  it('a thread that does not answer within the limit is replaced', async () => {
    await expect(sender.send([[post('/slow')]], { timeoutMs: 2_000, claimedAt: Date.now(), limitMs: 200 })).rejects.toThrow(/did not answer within 200 ms/);
    const [[again]] = await sender.send([[post('/after-limit')]], options());
    expect(again).toMatchObject({ status: 204 });
  });

  it('a closed sender refuses to send', async () => {
    const other = new WebhookSender();
    await other.send([[post('/c1')]], options());
    await other.close();
    await expect(other.send([[post('/c2')]], options())).rejects.toThrow(/closed/);
  });
});

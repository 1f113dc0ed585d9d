import { Worker } from 'node:worker_threads';

/** One signed POST to an endpoint, ready to send. */
export interface OutgoingWebhook {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * What came of one POST: the endpoint's status with `error` unset for a 2xx answer, or an error (an
 * error answer, a refused connection, no answer in time), and when it came (`at`, ms); `null` for a POST not sent because one
 * before it in its run failed, or because the run's time was up.
 */
export type SendResult = ({ status: number; error?: undefined } | { status: number | null; error: string }) & { at: number } | null;

/**
 * The sending thread. node:http rather than `fetch`: a POST costs about a third of the CPU (no WHATWG
 * Request, Headers and streams per call). Keep-alive connections per endpoint, shared by every POST;
 * a kept-alive connection the endpoint closed just as it was reused (ECONNRESET before any answer) is
 * retried once on a new one: that request never arrived. A redirect is not followed (the endpoint's
 * URL is what the admin configured): it is an error answer. Plain JavaScript evaluated from a string,
 * so it runs the same from the TypeScript sources (tsx, Vitest) and from the build.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
const https = require('node:https');
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };
const ERROR_BODY_MAX = 4096;
const ERROR_MAX = 500;

// Each endpoint URL parsed once: request options without the URL (a URL object per POST and Node's
// conversion of it were a tenth of this thread's time).
const targets = new Map();
function targetOf(u) {
  let t = targets.get(u);
  if (t) return t;
  let url;
  try {
    url = new URL(u);
  } catch (err) {
    return { error: 'not a URL: ' + u };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') t = { error: 'not an http(s) URL: ' + url.protocol };
  else {
    const client = url.protocol === 'https:' ? https : http;
    const options = { protocol: url.protocol, hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname, port: url.port || undefined, path: url.pathname + url.search, method: 'POST', agent: agents[url.protocol] };
    t = { client, options };
  }
  if (targets.size >= 1000) targets.clear();
  targets.set(u, t);
  return t;
}

function post(w, timeoutMs, retried) {
  return new Promise((resolve) => {
    const target = targetOf(w.url);
    if (target.error) {
      resolve({ status: null, error: target.error });
      return;
    }
    let settled = false;
    let timedOut = false;
    let timer;
    const settle = (r) => {
      clearTimeout(timer);
      if (!settled) {
        settled = true;
        r.at = Date.now();
        resolve(r);
      }
    };
    const fail = (err) => {
      if (timedOut) settle({ status: null, error: 'no answer within ' + timeoutMs + ' ms' });
      else {
        const message = String((err && err.message) || err);
        const code = err && err.code;
        settle({ status: null, error: (code && !message.includes(code) ? message + ' (' + code + ')' : message).slice(0, ERROR_MAX) });
      }
    };
    const headers = Object.assign({}, w.headers, { 'content-length': String(Buffer.byteLength(w.body)) });
    // A plain timer rather than AbortSignal.timeout: a signal per POST (an EventTarget, its
    // listeners and weak references) cost about a tenth of this thread's time.
    const req = target.client.request(Object.assign({ headers }, target.options), (res) => {
      const status = res.statusCode || 0;
      const ok = status >= 200 && status < 300;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        if (!ok && text.length < ERROR_BODY_MAX) text += chunk;
      });
      res.on('end', () => {
        if (ok) return settle({ status });
        const snippet = text.trim().slice(0, 200);
        settle({ status, error: 'HTTP ' + status + (snippet ? ': ' + snippet : '') });
      });
      res.on('error', fail);
    });
    timer = setTimeout(() => {
      timedOut = true;
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => {
      if (!timedOut && req.reusedSocket && err.code === 'ECONNRESET' && !retried) {
        clearTimeout(timer);
        post(w, timeoutMs, true).then(settle);
      } else fail(err);
    });
    req.end(w.body);
  });
}

// A run's POSTs in order, stopping at the first that fails; none starts later than one timeout after
// the claim, so every one ends within the claim.
async function sendRun(run, timeoutMs, claimedAt) {
  const out = [];
  for (let i = 0; i < run.length; i++) {
    if (i > 0 && Date.now() - claimedAt > timeoutMs) break;
    const r = await post(run[i], timeoutMs, false);
    out.push(r);
    if (r.error !== undefined) break;
  }
  while (out.length < run.length) out.push(null);
  return out;
}

parentPort.on('message', async ({ id, runs, timeoutMs, claimedAt }) => {
  try {
    const results = await Promise.all(runs.map((run) => sendRun(run, timeoutMs, claimedAt)));
    parentPort.postMessage({ id, results });
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});
`;

interface Pending {
  resolve: (results: SendResult[][]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Sends webhook POSTs from a thread of its own, so the HTTP work of the deliveries (connections,
 * requests, answers: about 0.1 ms of CPU each) never holds up the requests on the event loop — with
 * an endpoint on every event, one POST per check-in. The delivery job keeps the database work and
 * the retry policy; this only carries the requests. The thread starts on first use and is replaced
 * if it stops.
 */
export class WebhookSender {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private closed = false;

  /**
   * Sends each run's POSTs in order (the runs side by side), stopping a run at its first failure.
   * Resolves with a result per POST, in the runs' shape. Rejects if the thread stops, or has not
   * answered within `limitMs` (then it is replaced: its connections go with it).
   */
  send(runs: OutgoingWebhook[][], o: { timeoutMs: number; claimedAt: number; limitMs: number }): Promise<SendResult[][]> {
    if (this.closed) return Promise.reject(new Error('The webhook sender is closed'));
    const worker = (this.worker ??= this.start());
    const id = ++this.seq;
    return new Promise<SendResult[][]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`The webhook sender did not answer within ${o.limitMs} ms`));
        this.replace(worker, 'it was replaced after not answering');
      }, o.limitMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, runs, timeoutMs: o.timeoutMs, claimedAt: o.claimedAt });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    this.failAll('it was closed');
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    // An idle sender never keeps the process alive.
    worker.unref();
    worker.on('message', (m: { id: number; results?: SendResult[][]; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.error !== undefined) p.reject(new Error(`The webhook sender failed: ${m.error}`));
      else p.resolve(m.results ?? []);
    });
    worker.on('error', (err) => this.replace(worker, err.message));
    worker.on('exit', () => this.replace(worker, 'its thread stopped'));
    return worker;
  }

  private replace(worker: Worker, why: string): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.failAll(why);
    void worker.terminate();
  }

  private failAll(why: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`The webhook sender stopped: ${why}`));
    }
    this.pending.clear();
  }
}

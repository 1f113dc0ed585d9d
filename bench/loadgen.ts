/**
 * HTTP load generator (a child process of `npm run bench`): runs autocannon with the spec the parent
 * sends, gives every request its own token/body/path in turn, and reports each response's latency
 * and status, errors, and this process's CPU time during the run.
 */
import http from 'node:http';
import autocannon from 'autocannon';
import type { HttpLoadResult, HttpLoadSpec } from './harness.js';

type Spec = HttpLoadSpec & { collect?: 'recordId' };

function send(message: unknown) {
  process.send!(message);
}

async function run(spec: Spec): Promise<HttpLoadResult> {
  let built = 0;
  const latencies: number[] = [];
  const status: Record<string, number> = {};
  const errorSamples: string[] = [];
  const failureSamples: string[] = [];
  const collected: string[] = [];
  let errors = 0;
  let timeouts = 0;

  const headersFor = (token: string, cookie: string | undefined) => ({
    authorization: `Bearer ${token}`,
    ...(spec.method === 'POST' ? { 'content-type': 'application/json' } : {}),
    ...(cookie ? { cookie } : {}),
  });

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let finish!: (err: Error | null, result: autocannon.Result) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (err, result) => (err ? reject(err) : resolve(result));
  });
  const instance = autocannon({
    url: spec.urls.length === 1 ? spec.urls[0] : spec.urls,
    connections: spec.connections,
    amount: spec.amount,
    pipelining: 1,
    timeout: spec.timeoutSec ?? 30,
    // Fail fast on a broken spec rather than hammering for minutes.
    bailout: Math.max(1000, spec.amount),
    requests: [
      {
        method: spec.method,
        setupRequest: (req: any) => {
          const i = built++;
          const token = spec.tokens[i % spec.tokens.length];
          const next = { ...req, method: spec.method, path: spec.paths[i % spec.paths.length], headers: headersFor(token, spec.cookies?.[i % spec.cookies.length]) };
          if (spec.bodies) next.body = spec.bodies[i % spec.bodies.length];
          return next;
        },
        onResponse: (code: number, body: string) => {
          if (code >= 300 && failureSamples.length < 5) failureSamples.push(`${code} ${body.slice(0, 300)}`);
          if (spec.collect === 'recordId' && code === 201) {
            try {
              collected.push(JSON.parse(body).record.id as string);
            } catch {
              collected.push('unparseable');
            }
          }
        },
      },
    ],
  } as autocannon.Options, (err, result) => finish(err, result));

  let lastResponseAt = t0;
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    lastResponseAt = performance.now();
    latencies.push(responseTime);
    status[statusCode] = (status[statusCode] ?? 0) + 1;
  });
  instance.on('reqError', (err: Error) => {
    if (errorSamples.length < 5) errorSamples.push(String(err?.message ?? err));
  });

  const cap = setTimeout(() => instance.stop(), (spec.maxDurationSec ?? 120) * 1000);
  const result = await done;
  clearTimeout(cap);
  // autocannon only notices the end on its 1-second ticker: the run lasted until the last response.
  const durationMs = lastResponseAt - t0;
  const cpu = process.cpuUsage(cpu0);
  errors = result.errors;
  timeouts = result.timeouts;
  return {
    responses: latencies.length,
    durationMs,
    status,
    errors,
    timeouts,
    errorSamples,
    latencies,
    built,
    cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000 },
    failureSamples,
    collected,
  };
}

/** Open loop: request i is due at t0 + i × window / amount, on its own connection. */
async function runPaced(spec: Spec): Promise<HttpLoadResult> {
  const latencies: number[] = [];
  const status: Record<string, number> = {};
  const errorSamples: string[] = [];
  const failureSamples: string[] = [];
  const collected: string[] = [];
  let errors = 0;
  let timeouts = 0;
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now() + 20;
  let lastResponseAt = t0;
  const deadline = t0 + (spec.maxDurationSec ?? 120) * 1000;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const due = t0 + (i * spec.paced!.windowMs) / spec.amount;
      setTimeout(() => {
        if (performance.now() > deadline) {
          errors++;
          resolve();
          return;
        }
        const url = new URL(spec.urls[i % spec.urls.length]);
        const body = spec.bodies?.[i % spec.bodies.length];
        const cookie = spec.cookies?.[i % spec.cookies.length];
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            path: spec.paths[i % spec.paths.length],
            method: spec.method,
            agent,
            timeout: (spec.timeoutSec ?? 30) * 1000,
            headers: {
              authorization: `Bearer ${spec.tokens[i % spec.tokens.length]}`,
              ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
              ...(cookie ? { cookie } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              lastResponseAt = performance.now();
              latencies.push(lastResponseAt - due);
              const code = res.statusCode ?? 0;
              status[code] = (status[code] ?? 0) + 1;
              const text = Buffer.concat(chunks).toString();
              if (code >= 300 && failureSamples.length < 5) failureSamples.push(`${code} ${text.slice(0, 300)}`);
              if (spec.collect === 'recordId' && code === 201) {
                try {
                  collected.push(JSON.parse(text).record.id as string);
                } catch {
                  collected.push('unparseable');
                }
              }
              resolve();
            });
          },
        );
        req.on('timeout', () => {
          timeouts++;
          req.destroy(new Error('request timed out'));
        });
        req.on('error', (err) => {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(err.message);
          resolve();
        });
        req.end(body);
      }, Math.max(0, due - performance.now()));
    });
  await Promise.all(Array.from({ length: spec.amount }, (_, i) => one(i)));
  const cpu = process.cpuUsage(cpu0);
  return {
    responses: latencies.length,
    durationMs: lastResponseAt - t0,
    status,
    errors,
    timeouts,
    errorSamples,
    latencies,
    built: spec.amount,
    cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000 },
    failureSamples,
    collected,
  };
}

process.on('message', (m: any) => {
  if (m?.type !== 'run') return;
  (m.spec.paced ? runPaced(m.spec as Spec) : run(m.spec as Spec)).then(
    (result) => send({ type: 'result', result }),
    (err: unknown) => send({ type: 'error', message: String((err as Error)?.stack ?? err) }),
  );
});
process.on('SIGTERM', () => process.exit(0));
send({ type: 'ready' });

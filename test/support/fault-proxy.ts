// A TCP proxy the fault suite controls, between a server process and a shared service (PostgreSQL,
// Redis), so a test can make that service unreachable or unresponsive for its own servers only —
// the shared service itself is never stopped.
import net from 'node:net';

/**
 * - `pass`: bytes flow both ways.
 * - `cut`: every connection is dropped and new ones are refused (the service is gone).
 * - `blackhole`: connections stay open but nothing flows either way, and new connections are
 *   accepted and then hang (a frozen process — SIGSTOP — or a network that drops packets).
 */
export type FaultMode = 'pass' | 'cut' | 'blackhole';

export interface FaultProxy {
  /** The target URL with host and port replaced by the proxy's. */
  url: string;
  readonly mode: FaultMode;
  set(mode: FaultMode): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
}

export async function startFaultProxy(targetUrl: string, defaultPort: number): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || defaultPort);
  const pairs = new Set<Pair>();
  let mode: FaultMode = 'pass';

  const end = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  };
  const link = (pair: Pair) => {
    const upstream = net.connect(targetPort, target.hostname);
    pair.upstream = upstream;
    upstream.on('error', () => end(pair)).on('close', () => end(pair));
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
  };

  const server = net.createServer((client) => {
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: null };
    pairs.add(pair);
    client.on('error', () => end(pair)).on('close', () => end(pair));
    if (mode === 'blackhole') client.pause();
    else link(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);

  return {
    url: url.toString().replace(/\/$/, ''),
    get mode() {
      return mode;
    },
    set(next: FaultMode) {
      mode = next;
      for (const pair of [...pairs]) {
        if (next === 'cut') end(pair);
        else if (next === 'blackhole') {
          pair.client.unpipe();
          pair.upstream?.unpipe();
          pair.client.pause();
          pair.upstream?.pause();
        } else if (!pair.upstream) {
          link(pair);
        } else {
          // Back to normal: what was held flows on, as it does when a frozen process resumes.
          pair.client.pipe(pair.upstream);
          pair.upstream.pipe(pair.client);
        }
      }
    },
    close: async () => {
      mode = 'cut';
      for (const pair of [...pairs]) end(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

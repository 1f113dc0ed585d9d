import { isIP } from 'node:net';

/** Whether `host` only accepts connections from this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h.startsWith('::ffff:127.');
  return false;
}

/**
 * Why the address printed for phones would not work, or null when it should. Phones reach the
 * server over the network: a loopback listen address refuses them, and so does a phone URL that
 * points at `localhost` (each phone is its own localhost). With PUBLIC_URL set and a loopback HOST,
 * a reverse proxy on this machine is the likely setup, so that stays quiet.
 */
export function phoneReachabilityWarning(opts: { host: string; publicUrl: string; publicUrlConfigured: boolean }): string | null {
  if (isLoopbackHost(opts.host) && !opts.publicUrlConfigured) {
    return (
      `Phones cannot reach ${opts.publicUrl}: the server listens on ${opts.host}, which only this computer can use. ` +
      'QR codes, check-in links and calendar feeds would not open on students\u2019 phones. Start with HOST=0.0.0.0 ' +
      '(or set PUBLIC_URL to the address of the proxy in front of it).'
    );
  }
  let hostname: string;
  try {
    hostname = new URL(opts.publicUrl).hostname;
  } catch {
    return null;
  }
  if (isLoopbackHost(hostname)) {
    return (
      `Phones cannot reach ${opts.publicUrl}: it points at this computer itself. ` +
      'Connect this computer to the classroom network, or set PUBLIC_URL to an address phones can open.'
    );
  }
  return null;
}

import { describe, expect, it } from 'vitest';
import { isLoopbackHost, phoneReachabilityWarning } from '../server/lib/listen-address.js';

describe('the phone address check of the start banner', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', 'app.localhost']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.20', 'rollbook.school.example']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('warns for a loopback HOST without PUBLIC_URL and for a localhost phone URL, not otherwise', () => {
    expect(phoneReachabilityWarning({ host: '127.0.0.1', publicUrl: 'http://10.0.0.5:3000', publicUrlConfigured: false })).toMatch(/HOST=0\.0\.0\.0/);
    expect(phoneReachabilityWarning({ host: '0.0.0.0', publicUrl: 'http://localhost:3000', publicUrlConfigured: false })).toMatch(/PUBLIC_URL/);
    expect(phoneReachabilityWarning({ host: '0.0.0.0', publicUrl: 'http://10.0.0.5:3000', publicUrlConfigured: false })).toBeNull();
    // Behind a proxy on the same machine: PUBLIC_URL is what phones use.
    expect(phoneReachabilityWarning({ host: '127.0.0.1', publicUrl: 'https://rollbook.school.example', publicUrlConfigured: true })).toBeNull();
  });
});

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../server/config.js';

/** The ConfigError `parseConfig(env)` throws (fails the test if it does not throw one). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    parseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`parseConfig accepted ${JSON.stringify(env)}`);
}

describe('parseConfig', () => {
  it('has working defaults for an empty environment', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      DATABASE_URL: 'sqlite:./data/rollbook.db',
      dialect: 'sqlite',
      DATA_DIR: './data',
      UPLOAD_DIR: path.join('./data', 'uploads'),
      SIGNUP: 'off',
      TIMEZONE: 'UTC',
      ACCESS_TOKEN_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_DAYS: 30,
      LOGIN_MAX_FAILURES_PER_ACCOUNT: 5,
      LOGIN_MAX_FAILURES_PER_IP: 30,
      TRUST_PROXY: false,
      JOBS: true,
      LOG_LEVEL: 'info',
    });
    expect(c.PUBLIC_URL).toBeUndefined();
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.SECRET).toBeUndefined();
    expect(c.ADMIN_USERNAME).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('treats empty strings as unset and ignores unknown variables', () => {
    const c = parseConfig({ PORT: '', SIGNUP: '', HOME: '/root', SOMETHING_ELSE: 'x' });
    expect(c.PORT).toBe(3000);
    expect(c.SIGNUP).toBe('off');
    expect(c).not.toHaveProperty('HOME');
  });

  it('parses and normalises values', () => {
    const c = parseConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://rollbook:pw@db:5432/rollbook',
      REDIS_URL: 'redis://cache:6379',
      PUBLIC_URL: 'http://10.0.0.5:8080/',
      SIGNUP: 'students',
      TIMEZONE: 'Africa/Nairobi',
      TRUST_PROXY: 'yes',
      JOBS: 'off',
      DATA_DIR: '/var/lib/rollbook',
      ADMIN_USERNAME: 'chief',
      ADMIN_PASSWORD: 'long-enough-password',
    });
    expect(c).toMatchObject({
      PORT: 8080,
      dialect: 'postgres',
      PUBLIC_URL: 'http://10.0.0.5:8080',
      SIGNUP: 'students',
      TIMEZONE: 'Africa/Nairobi',
      TRUST_PROXY: true,
      JOBS: false,
      UPLOAD_DIR: path.join('/var/lib/rollbook', 'uploads'),
      ADMIN_USERNAME: 'chief',
    });
    expect(parseConfig({ DATABASE_URL: 'postgresql://x/y' }).dialect).toBe('postgres');
  });

  const bad: [string, Record<string, string>][] = [
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '-1' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['REDIS_URL', { REDIS_URL: 'http://cache' }],
    ['PUBLIC_URL', { PUBLIC_URL: 'ftp://school' }],
    ['PUBLIC_URL', { PUBLIC_URL: 'not a url' }],
    ['TIMEZONE', { TIMEZONE: 'Mars/Base' }],
    ['SIGNUP', { SIGNUP: 'maybe' }],
    ['SECRET', { SECRET: 'too-short' }],
    ['ADMIN_PASSWORD', { ADMIN_USERNAME: 'chief' }],
    ['ADMIN_PASSWORD', { ADMIN_USERNAME: 'chief', ADMIN_PASSWORD: 'short' }],
    ['ADMIN_EMAIL', { ADMIN_EMAIL: 'chief-at-school' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'perhaps' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['ACCESS_TOKEN_TTL_SECONDS', { ACCESS_TOKEN_TTL_SECONDS: '5' }],
    ['LOGIN_MAX_FAILURES_PER_ACCOUNT', { LOGIN_MAX_FAILURES_PER_ACCOUNT: '0' }],
  ];
  for (const [variable, env] of bad) {
    it(`rejects ${JSON.stringify(env)} naming ${variable}`, () => {
      const err = configError(env);
      expect(err.message).toContain(variable);
      expect(err.problems.some((p) => p.startsWith(variable))).toBe(true);
    });
  }

  it('reports every bad variable at once', () => {
    const err = configError({ PORT: 'abc', SIGNUP: 'maybe', TIMEZONE: 'Mars/Base' });
    expect(err.problems).toHaveLength(3);
    for (const name of ['PORT', 'SIGNUP', 'TIMEZONE']) expect(err.message).toContain(name);
  });

  it('never repeats a secret or a password in the message', () => {
    expect(configError({ SECRET: 'hunter2-secret' }).message).not.toContain('hunter2');
    expect(configError({ ADMIN_USERNAME: 'chief', ADMIN_PASSWORD: 'hunt3r' }).message).not.toContain('hunt3r');
    const db = configError({ DATABASE_URL: 'mysql://rollbook:s3cr3t-pw@db/rollbook' });
    expect(db.message).toContain('DATABASE_URL');
    expect(db.message).not.toContain('s3cr3t-pw');
  });
});

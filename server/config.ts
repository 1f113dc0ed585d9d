import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const port = z.coerce.number().int().min(0).max(65535);

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Every environment variable Rollbook reads, with its default. The README's table mirrors this. */
export const configSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:|postgres:\/\/|postgresql:\/\/)/, 'must start with sqlite: or postgres://')
    .default('sqlite:./data/rollbook.db'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  REDIS_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(4000),
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** PostgreSQL connections per process (docs/operations.md); unset: DEFAULT_POOL_SIZE. */
  DB_POOL_SIZE: z.coerce.number().int().min(2).max(500).optional(),
  /** SQLite: reader threads for whole-course reports (docs/operations.md); unset: one less than the cores, 1 to 4; 0: none. */
  SQLITE_READERS: z.coerce.number().int().min(0).max(16).optional(),
  /** SQLite: self check-ins written on a thread of their own (docs/operations.md); `off` writes them on the server's thread. */
  SQLITE_WRITER_THREAD: z.enum(['on', 'off']).default('on'),
  DATA_DIR: z.string().min(1).default('./data'),
  UPLOAD_DIR: z.string().min(1).optional(),
  /** Largest attachment accepted, in MiB. */
  UPLOAD_MAX_MB: z.coerce.number().positive().max(1024).default(10),
  SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ADMIN_USERNAME: z.string().min(1).max(64).optional(),
  ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').max(256).optional(),
  ADMIN_EMAIL: z.email().optional(),
  SIGNUP: z.enum(['off', 'students']).default('off'),
  TIMEZONE: z
    .string()
    .refine(isValidTimeZone, 'must be an IANA time zone such as Europe/London')
    .default('UTC'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86400).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).default(30),
  LOGIN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  LOGIN_MAX_DELAY_SECONDS: z.coerce.number().min(0).max(60).default(8),
  CHECKIN_MAX_FAILURES_PER_USER: z.coerce.number().int().min(1).default(10),
  CHECKIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).default(200),
  CHECKIN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(600),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Rollbook <rollbook@localhost>'),
  TRUST_PROXY: bool.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  JOBS: bool.default(true),
  AUTO_CLOSE_GRACE_MINUTES: z.coerce.number().int().min(0).max(1440).default(15),
  WEB_DIR: z.string().min(1).default('./dist/web'),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Delivered webhook events are deleted after this many days. */
  OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** How long a webhook endpoint has to answer one delivery. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** First retry delay of a failed delivery; each further one doubles (jittered), up to OUTBOX_RETRY_MAX_MS. */
  OUTBOX_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(10_000),
  OUTBOX_RETRY_MAX_MS: z.coerce.number().int().min(10).max(86_400_000).default(4 * 3_600_000),
  /** Attempts before a delivery is `failed` (the defaults spread them over about a day). */
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(17),
  /** How often each node looks for due deliveries when nothing woke it. */
  OUTBOX_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  /** `npm run bench` only: adds the baseline route /api/bench/ping. Never set it in production. */
  BENCH_ROUTES: bool.default(false),
});

export type RawConfig = z.infer<typeof configSchema>;
export type Config = Readonly<
  Omit<RawConfig, 'UPLOAD_DIR'> & {
    UPLOAD_DIR: string;
    dialect: 'sqlite' | 'postgres';
  }
>;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads an optional .env file; real environment variables win over it. */
export function loadEnv(env: NodeJS.ProcessEnv = process.env, dotenvPath = '.env'): Record<string, string | undefined> {
  const fromFile = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  return { ...fromFile, ...env };
}

/** Parses configuration once; a bad value throws a ConfigError naming each variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const known = Object.keys(configSchema.shape);
  const input: Record<string, string> = {};
  for (const key of known) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = configSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '?');
        // Never echo a secret (or a URL's password) into logs.
        const shown = /SECRET|PASSWORD/.test(name)
          ? '(hidden)'
          : JSON.stringify((input[name] ?? '').replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@'));
        return `${name}=${shown}: ${issue.message}`;
      }),
    );
  }
  const raw = result.data;
  if (raw.ADMIN_USERNAME && !raw.ADMIN_PASSWORD) {
    throw new ConfigError(['ADMIN_PASSWORD: required when ADMIN_USERNAME is set']);
  }
  return Object.freeze({
    ...raw,
    UPLOAD_DIR: raw.UPLOAD_DIR ?? path.join(raw.DATA_DIR, 'uploads'),
    dialect: raw.DATABASE_URL.startsWith('sqlite:') ? 'sqlite' : 'postgres',
  });
}

import os from 'node:os';
import cookie from '@fastify/cookie';
import helmet from 'helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import type { Db, DbHandle } from './db/kysely.js';
import { migrateToLatest, openDatabase, sqliteWriterSetup } from './db/kysely.js';
import { registerGroupStats } from './db/commit-group.js';
import { CheckinWriterThread } from './modules/attendance/writer-thread.js';
import { publishChanges } from './modules/attendance/record-writer.js';
import { frameworkErrorHandler, registerErrorHandlers } from './errors.js';
import { createLimiterFactory, type LimiterFactory } from './lib/limiter.js';
import { version } from './lib/package-info.js';
import { createRedis, redisTimeouts } from './lib/redis.js';
import { loadSecret } from './lib/secret.js';
import { LIMITS } from '../common/limits.js';
import authPlugin from './plugins/auth.plugin.js';
import metricsPlugin from './plugins/metrics.plugin.js';
import authRoutes from './modules/auth/auth.routes.js';
import accountsRoutes from './modules/accounts/accounts.routes.js';
import { ensureFirstAdmin } from './modules/auth/setup.service.js';
import { TokenService } from './modules/auth/tokens.service.js';
import healthRoutes from './modules/health/health.routes.js';
import usersRoutes from './modules/users/users.routes.js';
import attendanceRoutes from './modules/attendance/attendance.routes.js';
import reportsRoutes from './modules/reports/reports.routes.js';
import rollCallRoutes from './modules/attendance/roll-call.routes.js';
import devicesRoutes from './modules/devices/devices.routes.js';
import { SummaryPublisher } from './modules/attendance/records.service.js';
import { autoCloseJob } from './jobs/auto-close.job.js';
import { codeRotationJob } from './jobs/code-rotation.job.js';
import { startJobs } from './jobs/scheduler.js';
import { OUTBOX_DELIVERY_JOB, outboxDeliveryJob } from './jobs/outbox-delivery.job.js';
import webhooksRoutes from './modules/webhooks/webhooks.routes.js';
import recordSyncPlugin from './modules/webhooks/record-sync.plugin.js';
import checkinRoutes from './modules/checkin/checkin.routes.js';
import { OpenSessionCache } from './modules/checkin/open-sessions.cache.js';
import { WebhookDirectory } from './modules/webhooks/webhook-directory.js';
import { AttendanceChanged } from './modules/attendance/record-writer.js';
import liveSessionsRoutes from './modules/live-sessions/live-sessions.routes.js';
import mailerPlugin from './lib/mailer.js';
import notificationsRoutes from './modules/notifications/notifications.routes.js';
import busPlugin from './realtime/bus.js';
import socketRoutes from './realtime/socket.routes.js';
import topicsPlugin from './realtime/topics.js';
import calendarRoutes from './modules/calendar/calendar.routes.js';
import coursesRoutes from './modules/courses/courses.routes.js';
import departmentsRoutes from './modules/departments/departments.routes.js';
import enrollmentsRoutes from './modules/enrollments/enrollments.routes.js';
import sectionsRoutes from './modules/sections/sections.routes.js';
import sessionsRoutes from './modules/sessions/sessions.routes.js';
import benchRoutes from './modules/bench/bench.routes.js';
import { registerWeb } from './plugins/web.js';
import warningsRoutes from './modules/warnings/warnings.routes.js';
import { registerWarningEvaluation } from './modules/warnings/warning-evaluator.js';
import { warningsDigestJob } from './jobs/warnings-digest.job.js';
import absencesRoutes from './modules/absences/absences.routes.js';
import { approvedAbsencesCovering } from './modules/absences/absences.service.js';
import { DirectoryStorage } from './lib/storage.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Db;
    dialect: DbHandle['dialect'];
    redis: Redis | null;
    /** Attempt budgets (rate-limiter-flexible): Redis shared by every node, memory otherwise. */
    limits: LimiterFactory;
    /** Signs access tokens and calendar links: SECRET, or the one kept in the database. */
    signingSecret: string;
    /** The address students' phones should open. */
    publicUrl: string;
    /** Set when the database has no administrator and no ADMIN_USERNAME was given. */
    setupToken: string | null;
    /** Active webhook endpoints and what they subscribe to (read by the record writer). */
    webhooks: WebhookDirectory;
    /** The webhook delivery job of this node: `kick()` after a commit that queued deliveries sends them at once. */
    outbox: { kick(): void };
  }
}

export interface BuildOptions {
  /** Use this database instead of opening DATABASE_URL (tests); it is not closed with the app. */
  database?: DbHandle;
}

/** The address phones on the classroom network can reach: PUBLIC_URL, else the first LAN IPv4. */
export function resolvePublicUrl(config: Config, port: number): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL;
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4' && !a.internal) return `http://${a.address}:${port}`;
    }
  }
  return `http://localhost:${port}`;
}

/** Builds the whole app: external plugins → app plugins → modules. Migrates the database first. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: config.LOG_LEVEL === 'silent' ? false : { level: config.LOG_LEVEL },
    trustProxy: config.TRUST_PROXY,
    bodyLimit: LIMITS.bodyMaxBytes,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { coerceTypes: false } },
    frameworkErrors: frameworkErrorHandler,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandlers(app);

  const handle =
    options.database ??
    openDatabase(config.DATABASE_URL, {
      poolSize: config.DB_POOL_SIZE,
      sqliteReaders: config.SQLITE_READERS,
      timeouts: {
        connectMs: config.DB_CONNECT_TIMEOUT_MS,
        statementMs: config.DB_STATEMENT_TIMEOUT_MS,
        idleInTransactionMs: config.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      },
      log: (err) => app.log.warn({ err }, 'database problem outside a request (a lost connection, a failed WAL checkpoint)'),
    });
  await migrateToLatest(handle.db);
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL, 'main', redisTimeouts(config)) : null;

  app.decorate('config', config);
  app.decorate('db', handle.db);
  app.decorate('dialect', handle.dialect);
  app.decorate('redis', redis);
  app.decorate('limits', createLimiterFactory(redis));
  app.decorate('signingSecret', await loadSecret(handle.db, config.SECRET, config.DATA_DIR));
  app.decorate('publicUrl', resolvePublicUrl(config, config.PORT));
  app.decorate('setupToken', null);
  // SQLite: self check-ins on a thread of their own (modules/attendance/writer-thread.ts), one per database.
  const writerSetup = handle.dialect === 'sqlite' && config.SQLITE_WRITER_THREAD === 'on' ? sqliteWriterSetup(handle.db) : undefined;
  const checkinWriter =
    writerSetup && !writerSetup.inUse
      ? new CheckinWriterThread(writerSetup, { log: (err) => app.log.error({ err }, 'check-in writer thread'), lateCheckin: (result) => publishChanges(app, result.changes) })
      : null;
  if (checkinWriter) registerGroupStats(handle.db, () => checkinWriter.committed);
  app.decorate('checkinWriter', checkinWriter);
  app.addHook('onClose', async () => {
    await checkinWriter?.close();
    if (redis) await redis.quit().catch(() => redis.disconnect());
    if (!options.database) await handle.db.destroy();
  });

  // Security headers on every response, by helmet itself, built once. @fastify/helmet builds helmet's
  // middleware again for every request (its per-route options, which Rollbook does not use): about
  // 12–17 µs of a request's CPU, and V8 compiling the new middlewares again and again
  // (docs/performance-history.md, "Security headers built once").
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        upgradeInsecureRequests: null,
      },
    },
    // Phones on a plain-http classroom network must not be told to upgrade to https.
    strictTransportSecurity: config.PUBLIC_URL?.startsWith('https://') ? undefined : false,
  });
  app.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (err?: unknown) => done(err as Error | undefined)));
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Rollbook API', version, description: 'Real-time attendance. See docs/ and API.md.' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, cookie: { type: 'apiKey', in: 'cookie', name: 'rb_access' } },
      },
      security: [{ bearer: [] }, { cookie: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(authPlugin, {
    tokens: new TokenService({
      secret: app.signingSecret,
      accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlDays: config.REFRESH_TOKEN_TTL_DAYS,
    }),
  });
  await app.register(metricsPlugin);
  await app.register(mailerPlugin);
  await app.register(busPlugin);
  await app.register(topicsPlugin);
  await app.register(socketRoutes);
  // Before every module's routes: its hook fills `record.sync` in their responses.
  await app.register(recordSyncPlugin);

  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(usersRoutes);
  await app.register(accountsRoutes);
  await app.register(notificationsRoutes);
  await app.register(departmentsRoutes);
  await app.register(sectionsRoutes);
  await app.register(coursesRoutes);
  await app.register(enrollmentsRoutes);
  await app.register(sessionsRoutes);
  await app.register(calendarRoutes);
  app.decorate('openSessions', new OpenSessionCache(handle.db));
  app.decorate('webhooks', new WebhookDirectory(handle.db));
  const outbox = { kick: (): void => undefined };
  app.decorate('outbox', outbox);
  app.decorate('attendanceChanged', new AttendanceChanged());
  // A committed record change has queued deliveries: send them now rather than at the next poll.
  app.attendanceChanged.on(() => app.outbox.kick());
  const summaries = new SummaryPublisher(app);
  app.decorate('summaries', summaries);
  app.addHook('onClose', async () => summaries.stop());
  app.decorate('attachments', new DirectoryStorage(config.UPLOAD_DIR));
  // A session's close excuses the students an approved absence request covers.
  app.decorate('closeExcuses', (trx: Db, session: { id: string }) => approvedAbsencesCovering(trx, session.id));
  await app.register(liveSessionsRoutes);
  await app.register(checkinRoutes);
  await app.register(attendanceRoutes);
  await app.register(reportsRoutes);
  await app.register(rollCallRoutes);
  await app.register(devicesRoutes);
  await app.register(webhooksRoutes);
  await app.register(warningsRoutes);
  registerWarningEvaluation(app);
  await app.register(absencesRoutes);
  if (config.BENCH_ROUTES) await app.register(benchRoutes);

  await registerWeb(app, config);
  if (config.JOBS) {
    const jobs = startJobs(app, [autoCloseJob, codeRotationJob, outboxDeliveryJob(app), warningsDigestJob]);
    outbox.kick = () => jobs.kick(OUTBOX_DELIVERY_JOB);
  }

  const { setupToken } = await ensureFirstAdmin(handle.db, config, app.log);
  app.setupToken = setupToken;
  return app;
}

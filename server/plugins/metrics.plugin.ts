import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { unauthenticated } from '../errors.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { outboxStatus } from '../modules/webhooks/webhooks.service.js';
import type { OutboxStatus } from '../../common/webhook.schemas.js';
import { commitGroupStats } from '../db/commit-group.js';
import { statementsSent } from '../db/kysely.js';

export interface AppMetrics {
  registry: Registry;
  checkins: Counter<'method'>;
  /** Webhook delivery attempts by outcome: delivered, retry (failed, will try again), failed (gave up). */
  webhookDeliveries: Counter<'outcome'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: AppMetrics;
  }
}

/** Prometheus metrics at /metrics: HTTP traffic, check-ins, sockets, bus state, process defaults. */
export default fp(
  async (app: FastifyInstance) => {
    // A registry per app, so several apps in one process (tests) do not collide.
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'rollbook_' });
    const requests = new Counter({
      name: 'rollbook_http_requests_total',
      help: 'HTTP requests by route and status class',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'rollbook_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    const checkins = new Counter({
      name: 'rollbook_checkins_total',
      help: 'Attendance records created by a check-in, by method',
      labelNames: ['method'] as const,
      registers: [registry],
    });
    new Counter({
      name: 'rollbook_db_statements_total',
      help: 'Statements sent to the database by this process (on PostgreSQL: round trips)',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(statementsSent(app.db));
      },
    });
    new Counter({
      name: 'rollbook_commit_group_transactions_total',
      help: 'Transactions committed by the group commit of check-ins (each holds one or more check-ins)',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(commitGroupStats(app.db).transactions);
      },
    });
    new Counter({
      name: 'rollbook_commit_group_units_total',
      help: 'Check-ins (units) in the transactions of the group commit; ÷ transactions = check-ins per commit',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(commitGroupStats(app.db).units);
      },
    });
    new Gauge({
      name: 'rollbook_websockets',
      help: 'Open WebSocket connections on this node',
      registers: [registry],
      collect() {
        this.set(app.realtime?.stats().sockets ?? 0);
      },
    });
    new Gauge({
      name: 'rollbook_bus_up',
      help: '1 when live events reach other nodes (or there is one node), 0 while Redis is away',
      registers: [registry],
      collect() {
        this.set(app.bus?.state === 'down' ? 0 : 1);
      },
    });
    const webhookDeliveries = new Counter({
      name: 'rollbook_webhook_deliveries_total',
      help: 'Webhook delivery attempts on this node by outcome (delivered, retry, failed = gave up)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
    // One query per scrape feeds the three outbox gauges (they are shared by every node: same table).
    let figures: { at: number; value: Promise<OutboxStatus | null> } | null = null;
    const outboxNow = () => {
      if (!figures || Date.now() - figures.at > 1000) figures = { at: Date.now(), value: outboxStatus(app.db).catch(() => null) };
      return figures.value;
    };
    const outboxGauge = (name: string, help: string, pick: (s: OutboxStatus) => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          const s = await outboxNow();
          if (s) this.set(pick(s));
        },
      });
    outboxGauge('rollbook_outbox_pending', 'Webhook deliveries waiting to be sent (all nodes)', (s) => s.pending);
    outboxGauge('rollbook_outbox_failed', 'Webhook deliveries that gave up (all nodes)', (s) => s.failed);
    outboxGauge('rollbook_outbox_oldest_pending_seconds', 'Age of the oldest pending webhook delivery', (s) => s.oldestPendingSeconds);
    app.decorate('metrics', { registry, checkins, webhookDeliveries });

    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      if (route === '/metrics') return;
      requests.inc({ method: request.method, route, status: `${Math.floor(reply.statusCode / 100)}xx` });
      duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    });

    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      const token = app.config.METRICS_TOKEN;
      if (token && request.headers.authorization !== `Bearer ${token}`) throw unauthenticated('/metrics needs the METRICS_TOKEN bearer token.');
      reply.type(registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'metrics' },
);

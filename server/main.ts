import { ConfigError, loadEnv, parseConfig } from './config.js';
import { buildApp } from './app.js';
import { phoneReachabilityWarning } from './lib/listen-address.js';

async function main() {
  let config;
  try {
    config = parseConfig(loadEnv());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const app = await buildApp(config);
  // A lecture hall of phones connects at once: Node's default accept backlog (511) overflows and the
  // kernel drops connections that then retry a second later (docs/performance-history.md, "The first pass").
  await app.listen({ port: config.PORT, host: config.HOST, backlog: 2048 });

  const local = `http://localhost:${config.PORT}`;
  const lines = [
    '',
    `  Rollbook is running (${config.dialect}${config.REDIS_URL ? ' + redis' : ''}).`,
    `  On this computer:     ${local}`,
    `  Students' phones:     ${app.publicUrl}`,
  ];
  const warning = phoneReachabilityWarning({ host: config.HOST, publicUrl: app.publicUrl, publicUrlConfigured: !!config.PUBLIC_URL });
  if (warning) lines.push('', `  WARNING: ${warning}`, '');
  if (app.setupToken) {
    lines.push(`  First start: create the administrator at ${local}/setup?token=${app.setupToken}`);
  }
  console.log(lines.join('\n') + '\n');

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    try {
      await app.close();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'error while shutting down');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadEnv, parseConfig, type Config } from './config.js';
import { migrateToLatest, openDatabase, type Db } from './db/kysely.js';
import { DEMO_PASSWORDS, loadDemoSchool } from './demo.js';
import { AppError } from './errors.js';
import { createUser, importUsersCsv } from './modules/users/users.service.js';

const HELP = `Rollbook command line (reads the same environment / .env as the server)

  npm run cli -- migrate                          apply pending database migrations
  npm run cli -- create-admin --username U --password P [--name N] [--email E]
  npm run cli -- import users <file.csv> [--partial]
  npm run cli -- demo                             load a demo school (teachers, 40 students, courses, a term of sessions)
                                                  header: role,username,name,email,studentNumber,staffNumber,section,password[,guardianEmail]
`;

type Command = (db: Db, config: Config, args: string[]) => Promise<void>;

const commands: Record<string, Command> = {
  async migrate(db) {
    const applied = await migrateToLatest(db);
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
  },

  async 'create-admin'(db, _config, args) {
    const { values } = parseArgs({
      args,
      options: { username: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' } },
    });
    if (!values.username || !values.password) throw new UsageError('create-admin needs --username and --password');
    await migrateToLatest(db);
    const user = await createUser(db, null, {
      role: 'admin',
      username: values.username,
      password: values.password,
      name: values.name ?? values.username,
      email: values.email ?? null,
    });
    console.log(`Created administrator ${user.username} (${user.id}).`);
  },

  async import(db, _config, args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { partial: { type: 'boolean' } } });
    const [what, file] = positionals;
    if (what !== 'users' || !file) throw new UsageError('usage: import users <file.csv> [--partial]');
    await migrateToLatest(db);
    const result = await importUsersCsv(db, null, readFileSync(file, 'utf8'), values.partial ?? false);
    for (const e of result.errors) console.error(`line ${e.line}: ${e.message}`);
    console.log(`Created ${result.created}, updated ${result.updated}, ${result.errors.length} bad line(s).`);
    if (result.errors.length && !values.partial) {
      console.error('Nothing was written because some lines are invalid. Fix them, or pass --partial to import the good lines.');
      process.exitCode = 1;
    }
  },

  async demo(db, config) {
    await migrateToLatest(db);
    const r = await loadDemoSchool(db, config.TIMEZONE, config.DATABASE_URL.startsWith('sqlite:') ? 'sqlite' : 'postgres');
    console.log(`Loaded the demo school: ${r.students} students, courses ${r.courses.join(', ')}, ${r.sessions} sessions.`);
    if (r.admin) console.log(`  administrator: ${r.admin} / ${DEMO_PASSWORDS.admin}`);
    console.log(`  teachers: ${r.teachers.join(', ')} / ${DEMO_PASSWORDS.teacher}`);
    console.log(`  students: s001 … s040 / ${DEMO_PASSWORDS.student}`);
  },
};

class UsageError extends Error {}

async function main(argv: string[]) {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    console.log(HELP);
    process.exitCode = name && name !== 'help' && name !== '--help' ? 2 : 0;
    return;
  }
  const config = parseConfig(loadEnv());
  const { db } = openDatabase(config.DATABASE_URL);
  try {
    await command(db, config, args);
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof ConfigError || err instanceof UsageError) console.error(err.message);
  else if (err instanceof AppError) console.error(`${err.title}: ${err.detail ?? ''}${err.errors ? ` ${JSON.stringify(err.errors)}` : ''}`);
  else console.error(err);
  process.exitCode = process.exitCode || 1;
});

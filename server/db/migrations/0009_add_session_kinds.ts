import { sql, type Kysely } from 'kysely';

// Frozen. Sessions get a kind (lecture, lab, tutorial, exam, other), each numbered on its own, and
// `number` becomes nullable: a cancelled session has none. Numbers of sessions already held (opened
// at least once) are kept exactly as students saw them; sessions not yet held are renumbered per
// course × kind with the same rule as server/modules/sessions/session-numbering.ts (copied here so
// the migration never changes with the app).

const KINDS = ['lecture', 'lab', 'tutorial', 'exam', 'other'];

/** A kind guessed from a title, so existing "Lab: …" sessions stop counting as lectures. */
function kindFromTitle(title: string | null): string {
  const t = (title ?? '').toLowerCase();
  if (/\b(lab|labs|laboratory|practical)\b/.test(t)) return 'lab';
  if (/\b(tutorial|tutorials|seminar|recitation)\b/.test(t)) return 'tutorial';
  if (/\b(exam|examination|midterm|mid-term|final exam|quiz|test)\b/.test(t)) return 'exam';
  return 'lecture';
}

interface Row {
  id: string;
  course_id: string;
  kind: string;
  number: number | null;
  state: string;
  opened_at: string | null;
  starts_at: string;
  created_at: string;
}

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('sessions')
    .addColumn('kind', 'text', (c) =>
      c.notNull().defaultTo('lecture').check(sql.raw(`kind in (${KINDS.map((k) => `'${k}'`).join(', ')})`)),
    )
    .execute();
  // SQLite cannot drop NOT NULL in place: copy into a new nullable column, drop the old one, rename.
  await db.schema.alterTable('sessions').addColumn('seq', 'integer').execute();
  await db.updateTable('sessions').set({ seq: sql`number` }).execute();
  await db.schema.alterTable('sessions').dropColumn('number').execute();
  await db.schema.alterTable('sessions').renameColumn('seq', 'number').execute();

  const rows: Row[] = await db
    .selectFrom('sessions')
    .select(['id', 'course_id', 'title', 'number', 'state', 'opened_at', 'starts_at', 'created_at'])
    .orderBy('course_id')
    .orderBy('starts_at')
    .orderBy('created_at')
    .orderBy('id')
    .execute()
    .then((rs: (Omit<Row, 'kind'> & { title: string | null })[]) => rs.map((r) => ({ ...r, kind: kindFromTitle(r.title) })));

  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = `${r.course_id}\u0000${r.kind}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  for (const group of groups.values()) {
    const held = new Set<number>();
    for (const r of group) if (r.state !== 'cancelled' && r.opened_at !== null && r.number !== null) held.add(r.number);
    let counter = 0;
    for (const r of group) {
      let number: number | null;
      if (r.state === 'cancelled') number = null;
      else if (r.opened_at !== null && r.number !== null) {
        number = r.number;
        counter = Math.max(counter, number);
      } else {
        number = counter + 1;
        while (held.has(number)) number++;
        counter = number;
      }
      if (number !== r.number || r.kind !== 'lecture') {
        await db.updateTable('sessions').set({ number, kind: r.kind }).where('id', '=', r.id).execute();
      }
    }
  }
  await db.schema.createIndex('sessions_course_kind_starts_idx').on('sessions').columns(['course_id', 'kind', 'starts_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_course_kind_starts_idx').execute();
  await db.updateTable('sessions').set({ number: 0 }).where('number', 'is', null).execute();
  await db.schema.alterTable('sessions').dropColumn('kind').execute();
}

/** If `err` is a unique-constraint violation, the violated column names (best effort), else null. */
export function uniqueViolation(err: unknown): string[] | null {
  const e = err as { code?: string; message?: string; constraint?: string; detail?: string };
  if (!e || typeof e !== 'object') return null;
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // "UNIQUE constraint failed: users.username, users.x"
    const m = /constraint failed: (.+)$/.exec(e.message ?? '');
    return m ? m[1].split(',').map((s) => s.trim().split('.').pop() ?? s) : [];
  }
  if (e.code === '23505') {
    // detail: "Key (username)=(bob) already exists."
    const m = /Key \(([^)]+)\)=/.exec(e.detail ?? '');
    return m ? m[1].split(',').map((s) => s.trim()) : [];
  }
  return null;
}

/** True for a foreign-key violation on either dialect. */
export function isForeignKeyViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || e?.code === '23503';
}

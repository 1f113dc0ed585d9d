/**
 * Wall-clock dates and times in an IANA time zone, converted with Intl only. A "local date" is
 * `YYYY-MM-DD`, a "local time" `HH:MM`.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function wallParts(timeZone: string, utcMs: number) {
  const parts = formatter(timeZone).formatToParts(new Date(utcMs));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** How far the zone's wall clock is ahead of UTC at an instant, in milliseconds (+3 600 000 for BST). */
export function zoneOffsetMs(timeZone: string, utcMs: number): number {
  const p = wallParts(timeZone, utcMs);
  const wallAsUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wallAsUtc - Math.floor(utcMs / 1000) * 1000;
}

function parseDate(date: string): [number, number, number] {
  const [y, m, d] = date.split('-').map(Number);
  return [y, m, d];
}

/**
 * The instant at which the zone's clocks show `date` `time`. Like calendar apps (and Temporal's
 * "compatible" choice): a time that occurs twice (clocks going back) is its first occurrence; a time
 * that does not exist (clocks jumping forward) is moved forward by the jump.
 */
export function localToUtc(date: string, time: string, timeZone: string): Date {
  const [y, m, d] = parseDate(date);
  const [hh, mm] = time.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  const before = zoneOffsetMs(timeZone, wall - 86_400_000);
  const after = zoneOffsetMs(timeZone, wall + 86_400_000);
  const valid = [wall - before, wall - after]
    .filter((t) => t + zoneOffsetMs(timeZone, t) === wall)
    .sort((a, b) => a - b);
  return new Date(valid.length > 0 ? valid[0] : wall - before);
}

/** The zone's local date at an instant. */
export function localDateOf(instant: Date, timeZone: string): string {
  const p = wallParts(timeZone, instant.getTime());
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** `date` moved by `days` (calendar arithmetic, no time zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = parseDate(date);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** ISO weekday of a date: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: string): number {
  const [y, m, d] = parseDate(date);
  const js = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return js === 0 ? 7 : js;
}

/** Whole days from `a` to `b`. */
export function daysBetween(a: string, b: string): number {
  const [ay, am, ad] = parseDate(a);
  const [by, bm, bd] = parseDate(b);
  return Math.round((Date.UTC(by, bm - 1, bd) - Date.UTC(ay, am - 1, ad)) / 86_400_000);
}

/** "Tue 3 Mar 2026, 09:00 (Europe/London)": an instant as people in `timeZone` read it, for messages. */
export function formatInZone(instant: Date, timeZone: string): string {
  const text = new Intl.DateTimeFormat('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).format(instant);
  return `${text} (${timeZone})`;
}

import dayjs from 'dayjs';
import isoWeek from 'dayjs/plugin/isoWeek.js';
import relativeTime from 'dayjs/plugin/relativeTime.js';

// Plugins once, for every feature (dates are shown in the device's time zone).
dayjs.extend(isoWeek);
dayjs.extend(relativeTime);

export { dayjs };

/*
 * Every date and time the app shows goes through these helpers, so they all follow the browser's
 * locale (12 or 24 hours, day or month first) the same way. dayjs stays for date arithmetic and
 * the YYYY-MM-DD keys of forms and URLs, never for display.
 */

type Input = string | Date | dayjs.Dayjs;

const DATE: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' };
const TIME: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit' };
const DATE_TIME: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };

// Formatters are costly to build and a list formats hundreds of dates: one per set of options.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = JSON.stringify(options);
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(undefined, options);
    formatters.set(key, f);
  }
  return f;
}

/** A Date from an ISO time, a Dayjs, or a calendar date `YYYY-MM-DD` (read as local midnight, not UTC). */
function toDate(value: Input): Date {
  if (dayjs.isDayjs(value)) return value.toDate();
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return dayjs(value).toDate();
  return new Date(value);
}

/** An IANA zone to format in, when not the device's (a pattern written in the institution's zone). */
type Zone = { timeZone?: string };

/** "Tue, 3 Mar, 09:00" */
export function formatDateTime(value: Input, zone: Zone = {}): string {
  return formatter({ ...DATE_TIME, ...zone }).format(toDate(value));
}

/** "Tue, 3 Mar 2026" */
export function formatDate(value: Input, zone: Zone = {}): string {
  return formatter({ ...DATE, ...zone }).format(toDate(value));
}

/** "Tue, 3 Mar": the date without its year (lists within a term). */
export function formatShortDate(value: Input, zone: Zone = {}): string {
  return formatter({ weekday: 'short', day: 'numeric', month: 'short', ...zone }).format(toDate(value));
}

/** "Tuesday 3 March" */
export function formatLongDay(value: Input): string {
  return formatter({ weekday: 'long', day: 'numeric', month: 'long' }).format(toDate(value));
}

/** "March 2026" */
export function formatMonth(value: Input): string {
  return formatter({ month: 'long', year: 'numeric' }).format(toDate(value));
}

/** "09:00" */
export function formatTime(value: Input, zone: Zone = {}): string {
  return formatter({ ...TIME, ...zone }).format(toDate(value));
}

/** "09:00:42": to the second (a live list of check-ins). */
export function formatTimeWithSeconds(value: Input): string {
  return formatter({ ...TIME, second: '2-digit' }).format(toDate(value));
}

/** "09:00–10:30" */
export function formatTimeRange(start: Input, end: Input): string {
  return formatter(TIME).formatRange(toDate(start), toDate(end));
}

/** "Tue, 3 Mar, 09:00–10:30", or both dates when it runs past midnight. */
export function formatDateTimeRange(start: Input, end: Input): string {
  return formatter(DATE_TIME).formatRange(toDate(start), toDate(end));
}

/** "3 – 9 Mar 2026" */
export function formatDateRange(start: Input, end: Input): string {
  return formatter({ day: 'numeric', month: 'short', year: 'numeric' }).formatRange(toDate(start), toDate(end));
}

/** The short weekday names, Monday first ("Mon" … "Sun"). */
export function weekdayNames(): string[] {
  const monday = dayjs('2024-01-01'); // a Monday
  return Array.from({ length: 7 }, (_, i) => formatter({ weekday: 'short' }).format(monday.add(i, 'day').toDate()));
}

/** "3 minutes ago" */
export function fromNow(iso: string): string {
  return dayjs(iso).fromNow();
}

/** A local calendar date as YYYY-MM-DD (form values and URL keys, not for display). */
export function toLocalDate(d: Input = dayjs()): string {
  return dayjs(d).format('YYYY-MM-DD');
}

import dayjs from 'dayjs';
import isoWeek from 'dayjs/plugin/isoWeek.js';
import relativeTime from 'dayjs/plugin/relativeTime.js';

// Plugins once, for every feature (dates are shown in the device's time zone).
dayjs.extend(isoWeek);
dayjs.extend(relativeTime);

export { dayjs };

/** "Tue 3 Mar, 09:00" */
export function formatDateTime(iso: string): string {
  return new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).format(
    new Date(iso),
  );
}

/** "Tue 3 Mar 2026" */
export function formatDate(isoOrDate: string | Date): string {
  const d = typeof isoOrDate === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(isoOrDate) ? dayjs(isoOrDate).toDate() : new Date(isoOrDate);
  return new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).format(d);
}

/** "09:00" */
export function formatTime(iso: string): string {
  return new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

/** "09:00–10:30" */
export function formatTimeRange(startsAt: string, endsAt: string): string {
  return `${formatTime(startsAt)}–${formatTime(endsAt)}`;
}

/** "3 minutes ago" */
export function fromNow(iso: string): string {
  return dayjs(iso).fromNow();
}

/** A local calendar date as YYYY-MM-DD. */
export function toLocalDate(d: dayjs.Dayjs | Date | string): string {
  return dayjs(d).format('YYYY-MM-DD');
}

/** Limits both the server and the web app enforce, so a form says no before the server has to. */
export const LIMITS = {
  usernameMax: 64,
  nameMax: 200,
  emailMax: 254,
  phoneMax: 40,
  numberMax: 64,
  passwordMin: 8,
  passwordMax: 256,
  textMax: 2000,
  codeMax: 32,
  shortTextMax: 100,
  venueMax: 200,
  /** Sessions one bulk request may create, and how far apart its from/until may be. */
  bulkSessionsMax: 500,
  bulkRangeDaysMax: 400,
  /** Widest from/to window of a calendar query. */
  calendarRangeDaysMax: 400,
  enrollBatchMax: 5000,
  pageSizeMax: 200,
  pageSizeDefault: 50,
  csvMaxBytes: 5 * 1024 * 1024,
  bodyMaxBytes: 1024 * 1024,
} as const;

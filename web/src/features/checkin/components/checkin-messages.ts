import { ApiError } from '../../../lib/api-client.js';
import { errorMessage } from '../../../lib/notify.js';

export interface CheckinProblem {
  code: string;
  title: string;
  message: string;
  /** The session wants the phone's location and none was sent: offer to share it. */
  needsLocation: boolean;
}

function minutes(seconds: unknown): string {
  const n = typeof seconds === 'number' && seconds > 0 ? Math.ceil(seconds / 60) : 10;
  return n === 1 ? '1 minute' : `${n} minutes`;
}

/**
 * Every check-in error in words a student understands, with what to do next.
 * `via` says how the code came: typed by the student, or carried by the scanned QR link.
 */
export function describeCheckinError(error: unknown, via: 'typed' | 'qr', sentLocation: boolean): CheckinProblem {
  if (!(error instanceof ApiError)) {
    return { code: 'error', title: 'Something went wrong', message: errorMessage(error), needsLocation: false };
  }
  const base = { code: error.code, needsLocation: false };
  switch (error.code) {
    case 'invalid_code':
      return via === 'qr'
        ? {
            ...base,
            title: 'This QR code has expired',
            message: 'The QR on the screen changes regularly (as often as every few seconds). Scan the one shown now, or type the code next to it.',
          }
        : {
            ...base,
            title: 'Wrong or expired code',
            message: 'Check the code on the screen and type it again. The code changes regularly (as often as every few seconds), so use the one shown now.',
          };
    case 'not_enrolled':
      return {
        ...base,
        title: 'You are not on this course',
        message: 'You are not enrolled in the course of this session. Ask your teacher to add you, then check in again.',
      };
    case 'session_not_open': {
      const closed = /closed/i.test(error.detail ?? '');
      return closed
        ? { ...base, title: 'Check-in is closed', message: 'This session is already closed, so you can no longer check in. Talk to your teacher if you were there.' }
        : { ...base, title: 'Check-in is not open yet', message: 'Your teacher has not opened check-in for this session yet. Try again once the code is on the screen.' };
    }
    case 'outside_geofence':
      return sentLocation
        ? {
            ...base,
            title: 'You seem to be outside the classroom',
            message: "Your phone's location is outside the area of this session. If you are in the room, move near a window and try again, or tell your teacher.",
          }
        : {
            ...base,
            needsLocation: true,
            title: 'Your location is needed',
            message: 'This session checks that you are in the classroom. Share your location and try again.',
          };
    case 'network_not_allowed':
      return {
        ...base,
        title: 'Connect to the school Wi-Fi',
        message: 'This session only accepts check-ins from the campus network. Turn off mobile data, join the school Wi-Fi and try again.',
      };
    case 'too_many_attempts':
      return {
        ...base,
        title: 'Too many wrong attempts',
        message: `Wait ${minutes(error.body.retryAfterSeconds)} before trying again, then type the code carefully.`,
      };
    case 'method_not_allowed':
      return { ...base, title: 'Not accepted for this session', message: error.detail ?? 'This session does not accept this way of checking in.' };
    case 'unknown_student':
      return {
        ...base,
        title: 'Unknown student number',
        message: 'No student has that number. Check it (it is on your student card), or ask your teacher.',
      };
    case 'not_found':
      return { ...base, title: 'Session not found', message: 'This check-in link does not lead to a session. Scan the QR on the screen again.' };
    case 'network_error':
      return { ...base, title: 'No connection', message: 'Could not reach Rollbook. Check your Wi-Fi or mobile data and try again.' };
    case 'validation_failed':
      return { ...base, title: 'Check what you typed', message: errorMessage(error) };
    default:
      return { ...base, title: error.title, message: errorMessage(error) };
  }
}

import { notifications } from '@mantine/notifications';
import { ApiError } from './api-client.js';

/** The one sentence to show a person for any error. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.detail) return error.detail;
    if (error.errors.length > 0) return `${error.title}: ${error.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`;
    return error.title;
  }
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong.';
}

export function errorTitle(error: unknown): string {
  if (error instanceof ApiError && error.detail) return error.title;
  return 'Request failed';
}

export function notifyError(error: unknown, title?: string): void {
  notifications.show({
    color: 'red',
    title: title ?? errorTitle(error),
    message: errorMessage(error),
    autoClose: 8000,
  });
}

export function notifySuccess(message: string, title?: string): void {
  notifications.show({ color: 'teal', title, message, autoClose: 4000 });
}

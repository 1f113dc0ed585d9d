import { useCallback, useRef, useState, type ChangeEvent } from 'react';
import type { z } from 'zod';
import { ApiError } from './api-client.js';
import { errorMessage } from './notify.js';

type Errors<T> = Partial<Record<keyof T & string, string>>;

/** Plain words for the common schema failures; messages a schema sets itself still win. */
function friendlyMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'Required' : `At least ${issue.minimum} characters`;
      return undefined;
    case 'too_big':
      return issue.origin === 'string' ? `At most ${issue.maximum} characters` : undefined;
    case 'invalid_type':
      return issue.input === undefined || issue.input === null ? 'Required' : undefined;
    case 'invalid_format':
      return issue.format === 'email' ? 'Not a valid email address' : undefined;
    default:
      return undefined;
  }
}

/**
 * Small form state: values, per-field errors and one form-level error. Field errors come either
 * from the shared zod schemas (before sending) or from the server's problem `errors[].path`.
 */
export function useForm<T extends Record<string, string | boolean>>(initial: T) {
  const first = useRef(initial);
  const [values, setValues] = useState<T>(initial);
  const [errors, setErrors] = useState<Errors<T>>({});
  const [formError, setFormError] = useState<string | null>(null);

  const setValue = useCallback(<K extends keyof T & string>(name: K, value: T[K]) => {
    setValues((v) => ({ ...v, [name]: value }));
    setErrors((e) => (e[name] ? { ...e, [name]: undefined } : e));
  }, []);

  const reset = useCallback((next?: T) => {
    setValues(next ?? first.current);
    setErrors({});
    setFormError(null);
  }, []);

  /** Props for a text-like input (TextInput, PasswordInput, Textarea, NativeSelect). */
  const textProps = <K extends keyof T & string>(name: K) => ({
    name,
    value: values[name] as string,
    onChange: (event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) =>
      setValue(name, event.currentTarget.value as T[K]),
    error: errors[name],
  });

  /** Props for a Checkbox or Switch. */
  const checkProps = <K extends keyof T & string>(name: K) => ({
    name,
    checked: values[name] as boolean,
    onChange: (event: ChangeEvent<HTMLInputElement>) => setValue(name, event.currentTarget.checked as T[K]),
    error: errors[name],
  });

  /** Validates `input` with a shared schema; on failure shows the messages on their fields. */
  function validate<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> | null {
    const result = schema.safeParse(input, { error: friendlyMessage });
    if (result.success) {
      setErrors({});
      setFormError(null);
      return result.data;
    }
    const next: Errors<T> = {};
    const other: string[] = [];
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? '');
      if (key in values && !next[key as keyof T & string]) next[key as keyof T & string] = issue.message;
      else if (!(key in values)) other.push(key ? `${key}: ${issue.message}` : issue.message);
    }
    setErrors(next);
    setFormError(other.length > 0 ? other.join('; ') : null);
    return null;
  }

  /** Shows a failed request: field errors on their fields, everything else above the form. */
  function applyError(error: unknown) {
    const next: Errors<T> = {};
    let unplaced = false;
    if (error instanceof ApiError) {
      for (const fe of error.errors) {
        const key = fe.path.replace(/^(body|querystring|params)\.?/, '').split('.')[0] ?? '';
        const field = key in values ? (key as keyof T & string) : undefined;
        if (field && !next[field]) next[field] = fe.message;
        else if (!field) unplaced = true;
      }
    }
    setErrors(next);
    // When every problem sits on a field, the fields say it all; otherwise the detail goes above the form.
    const placedAll = Object.keys(next).length > 0 && !unplaced;
    setFormError(placedAll ? null : errorMessage(error));
  }

  return { values, setValue, errors, setErrors, formError, setFormError, reset, textProps, checkProps, validate, applyError };
}

/** '' → undefined, for optional fields left blank. */
export function blankToUndefined(value: string): string | undefined {
  const v = value.trim();
  return v === '' ? undefined : v;
}

/** '' → null, for optional fields a person may clear. */
export function blankToNull(value: string): string | null {
  const v = value.trim();
  return v === '' ? null : v;
}

import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import nodemailer from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** An HTML alternative to `text`. */
  html?: string;
}

export type MailStatus = 'ok' | 'down';

/** Outgoing mail over SMTP_URL. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** Whether the SMTP server answers; cached so /api/status stays fast. */
  status(): Promise<MailStatus>;
  close(): void;
}

const OK_CACHE_MS = 60_000;
const DOWN_CACHE_MS = 10_000;
const VERIFY_WAIT_MS = 3_000;

/**
 * A pooled nodemailer transport from SMTP_URL (e.g. `smtp://user:pass@mail.school.edu:587`; query
 * options such as `?pool=false` or `?ignoreTLS=true` are nodemailer's).
 */
export function createMailer(smtpUrl: string, from: string, log: FastifyBaseLogger): Mailer {
  const url = new URL(smtpUrl);
  if (!url.searchParams.has('pool')) url.searchParams.set('pool', 'true');
  if (!url.searchParams.has('maxConnections')) url.searchParams.set('maxConnections', '2');
  const transport = nodemailer.createTransport(url.toString(), { from });

  let cached: { status: MailStatus; until: number } | null = null;
  let inFlight: Promise<MailStatus> | null = null;

  function verify(): Promise<MailStatus> {
    inFlight ??= transport
      .verify()
      .then(
        () => 'ok' as const,
        (err: unknown) => {
          log.warn({ err: (err as Error)?.message }, 'SMTP server does not answer');
          return 'down' as const;
        },
      )
      .then((status) => {
        cached = { status, until: Date.now() + (status === 'ok' ? OK_CACHE_MS : DOWN_CACHE_MS) };
        inFlight = null;
        return status;
      });
    return inFlight;
  }

  return {
    async send(message) {
      await transport.sendMail(message);
    },
    async status() {
      if (cached && cached.until > Date.now()) return cached.status;
      const wait = new Promise<MailStatus>((resolve) => setTimeout(() => resolve('down'), VERIFY_WAIT_MS).unref());
      return Promise.race([verify(), wait]);
    },
    close() {
      transport.close();
    },
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Outgoing mail; null when SMTP_URL is not set. */
    mailer: Mailer | null;
  }
}

/** Decorates `app.mailer` (null without SMTP_URL). */
export default fp(
  async (app) => {
    const mailer = app.config.SMTP_URL ? createMailer(app.config.SMTP_URL, app.config.MAIL_FROM, app.log.child({ component: 'mailer' })) : null;
    app.decorate('mailer', mailer);
    app.addHook('onClose', async () => mailer?.close());
  },
  { name: 'mailer' },
);

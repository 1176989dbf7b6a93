import { createTransport, Transporter } from 'nodemailer';
import { EmailServiceConfig } from '../../config';

export const MAIL_TRANSPORT = Symbol('MAIL_TRANSPORT');

export function createMailTransport(config: EmailServiceConfig): Transporter {
  return createTransport({
    pool: true, // SMTP connections reused across messages, one per concurrent sender
    maxConnections: config.EMAIL_SEND_CONCURRENCY,
    host: config.SMTP_HOST,
    port: config.SMTP_PORT,
    secure: config.SMTP_SECURE,
    auth: config.SMTP_USER ? { user: config.SMTP_USER, pass: config.SMTP_PASSWORD } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
}

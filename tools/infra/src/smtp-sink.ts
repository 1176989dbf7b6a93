/**
 * A local SMTP sink for native mode, standing in for Mailpit: it accepts every message,
 * appends it to a JSON-lines file, and serves a subset of Mailpit's HTTP API
 * (GET/DELETE /api/v1/messages with Mailpit's paging, GET /api/v1/message/:id), so tests
 * and the demo read mail the same way in both modes. Every raw delivery is kept, duplicates
 * included.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser, AddressObject } from 'mailparser';

export interface StoredMessage {
  ID: string;
  MessageID: string;
  From: { Address: string };
  To: { Address: string }[];
  Subject: string;
  Created: string;
  Text: string;
  HTML: string;
}

/** Mailpit pages its list: `limit` defaults to 50, and a value that is not a positive integer counts as unset. */
const defaultLimit = 50;
const positive = (raw: string | null): number | undefined => {
  const n = Number(raw);
  return raw && Number.isInteger(n) && n > 0 ? n : undefined;
};

const addresses = (a: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => ({ Address: v.address ?? '' })));

export function startSmtpSink(opts: { smtpPort: number; apiPort: number; host: string; storeFile: string }) {
  mkdirSync(dirname(opts.storeFile), { recursive: true });
  const load = (): StoredMessage[] =>
    existsSync(opts.storeFile)
      ? readFileSync(opts.storeFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    size: 10 * 1024 * 1024,
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const message: StoredMessage = {
            ID: randomUUID(),
            MessageID: (mail.messageId ?? '').replace(/^<|>$/g, ''),
            From: addresses(mail.from)[0] ?? { Address: '' },
            To: addresses(mail.to),
            Subject: mail.subject ?? '',
            Created: new Date().toISOString(),
            Text: mail.text ?? '',
            HTML: typeof mail.html === 'string' ? mail.html : '',
          };
          appendFileSync(opts.storeFile, JSON.stringify(message) + '\n');
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });

  const api = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://sink');
    if (url.pathname === '/livez') return send(200, { ok: true });
    if (url.pathname === '/' && req.method === 'GET') {
      const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
      const rows = load()
        .reverse()
        .map(
          (m) =>
            `<tr><td>${esc(m.Created)}</td><td>${esc(m.To.map((t) => t.Address).join(', '))}</td><td>${esc(m.Subject)}</td><td><code>${esc(m.MessageID)}</code></td></tr>`,
        )
        .join('');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(
        `<!doctype html><title>SMTP sink</title><h1>Received mail</h1><table border="1" cellpadding="4"><tr><th>received</th><th>to</th><th>subject</th><th>Message-ID</th></tr>${rows}</table>`,
      );
    }
    if (url.pathname === '/api/v1/messages' && req.method === 'GET') {
      const all = load().reverse(); // newest first, as Mailpit lists them
      const start = positive(url.searchParams.get('start')) ?? 0;
      const messages = all.slice(start, start + (positive(url.searchParams.get('limit')) ?? defaultLimit));
      return send(200, { total: all.length, messages_count: all.length, start, count: messages.length, messages });
    }
    if (url.pathname === '/api/v1/messages' && req.method === 'DELETE') {
      writeFileSync(opts.storeFile, '');
      return send(200, { ok: true });
    }
    const one = /^\/api\/v1\/message\/([\w-]+)$/.exec(url.pathname);
    if (one && req.method === 'GET') {
      const found = load().find((m) => m.ID === one[1]);
      return found ? send(200, found) : send(404, { error: 'not found' });
    }
    send(404, { error: 'not found' });
  });

  // A client killed mid-session (the fault tests do that) resets its connection; that
  // ends the connection, not the server.
  smtp.on('error', (err: Error) =>
    console.error(JSON.stringify({ level: 40, msg: 'smtp connection error', error: err.message })),
  );
  smtp.listen(opts.smtpPort, opts.host);
  api.listen(opts.apiPort, opts.host);
  return {
    close: () => new Promise<void>((resolve) => smtp.close(() => api.close(() => resolve()))),
  };
}

if (require.main === module) {
  const [smtpPort, apiPort, host, storeFile] = process.argv.slice(2);
  const sink = startSmtpSink({ smtpPort: Number(smtpPort), apiPort: Number(apiPort), host, storeFile });
  const stop = () => sink.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

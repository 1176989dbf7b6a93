import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { freePort } from './process-utils';
import { startSmtpSink } from './smtp-sink';

const host = '127.0.0.1';

interface Page {
  total: number;
  messages_count: number;
  count: number;
  start: number;
  messages: { Subject: string }[];
}

describe('the native SMTP sink pages GET /api/v1/messages as Mailpit does', () => {
  const sent = 57; // more than Mailpit's default page of 50
  const dir = mkdtempSync(join(tmpdir(), 'smtp-sink-'));
  let sink: ReturnType<typeof startSmtpSink>;
  let api = '';

  beforeAll(async () => {
    const [smtpPort, apiPort] = [await freePort(), await freePort()];
    sink = startSmtpSink({ smtpPort, apiPort, host, storeFile: join(dir, 'messages.jsonl') });
    api = `http://${host}:${apiPort}/api/v1/messages`;
    const transport = createTransport({ host, port: smtpPort, secure: false });
    // One at a time, so the store's order is the sending order.
    for (let i = 0; i < sent; i++)
      await transport.sendMail({ from: 'shop@example.com', to: 'buyer@example.com', subject: `mail ${i}`, text: 'x' });
    transport.close();
  });

  afterAll(async () => {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const page = async (query = '') => (await (await fetch(`${api}${query}`)).json()) as Page;
  const subjects = (p: Page) => p.messages.map((m) => m.Subject);
  const newestFirst = (from: number, n: number) => Array.from({ length: n }, (_, i) => `mail ${sent - 1 - from - i}`);

  it('returns the newest 50 by default, with the totals', async () => {
    const p = await page();
    expect({ ...p, messages: subjects(p) }).toEqual({
      total: sent,
      messages_count: sent,
      count: 50,
      start: 0,
      messages: newestFirst(0, 50),
    });
  });

  it('honours limit and start', async () => {
    const p = await page('?limit=5&start=10');
    expect([p.start, p.count, subjects(p)]).toEqual([10, 5, newestFirst(10, 5)]);
    const rest = await page('?start=50');
    expect([rest.count, subjects(rest)]).toEqual([sent - 50, newestFirst(50, sent - 50)]);
  });

  it('returns everything when asked for a large limit', async () => {
    const p = await page('?limit=100000');
    expect([p.total, p.count, subjects(p)]).toEqual([sent, sent, newestFirst(0, sent)]);
  });

  it('treats a limit or start that is not a positive integer as unset', async () => {
    for (const query of ['?limit=0', '?limit=-3', '?limit=abc', '?start=-1&limit=x']) {
      const p = await page(query);
      expect([query, p.start, p.count]).toEqual([query, 0, 50]);
    }
  });
});

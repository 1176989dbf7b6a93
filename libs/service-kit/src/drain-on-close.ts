import type { Server } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * On shutdown the HTTP server waits for every connection to end, and clients that keep
 * theirs alive and busy would hold it open for ever. Once closing, responses say
 * `Connection: close` and idle connections are closed as they appear; whatever is left
 * after `graceMs` is cut.
 */
export function drainOnClose(app: NestFastifyApplication, graceMs = 10_000): void {
  let closing = false;
  app.use((_req: unknown, res: { setHeader(name: string, value: string): void }, next: () => void) => {
    if (closing) res.setHeader('connection', 'close');
    next();
  });
  const adapter = app.getHttpAdapter();
  const close = adapter.close.bind(adapter);
  adapter.close = async () => {
    closing = true;
    const server = adapter.getHttpServer() as Server;
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    try {
      await close();
    } finally {
      clearInterval(idle);
      clearTimeout(cut);
    }
  };
}

import { NestExpressApplication } from '@nestjs/platform-express';
import { NextFunction, Request, Response } from 'express';
import { isUtf8 } from 'node:buffer';
import { findDuplicateKey } from './duplicate-key';
import { badRequest } from './zod-validation.pipe';

const NOT_UTF8 = 'entity.not.utf8';

/** Body errors answered in the services' 400 shape; JSON.parse's own message quotes the body. */
const BODY_ERRORS = new Map([
  ['entity.parse.failed', 'is not valid JSON'],
  [NOT_UTF8, 'is not valid UTF-8'],
]);

/**
 * How every service reads a request body: JSON only (415 otherwise), up to `limit` (413),
 * in UTF-8 (a decoder would quietly turn bad bytes into U+FFFD), with a leading byte order
 * mark ignored as RFC 8259 allows, and no key given twice in one object.
 */
export function useJsonBody(app: NestExpressApplication, limit: string) {
  // A body in another format would reach handlers as undefined: refuse it outright.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      res.status(415).json({ statusCode: 415, message: 'Content-Type must be application/json' });
      return;
    }
    next();
  });
  const bodies = new WeakMap<Request, Buffer>();
  const verify = (req: Request, _res: Response, bytes: Buffer) => {
    if (!isUtf8(bytes)) throw Object.assign(new Error('body is not UTF-8'), { status: 400, type: NOT_UTF8 });
    bodies.set(req, bytes);
  };
  // Not strict: a body that is JSON but not an object reaches validation, which names it.
  app.useBodyParser('json', { limit, strict: false, verify });
  app.use((err: { type?: string }, _req: Request, _res: Response, next: NextFunction) => {
    const problem = BODY_ERRORS.get(err.type ?? '');
    next(problem ? badRequest([{ field: '(body)', message: problem }], 'Invalid JSON body') : err);
  });
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const bytes = bodies.get(req);
    const key = bytes && findDuplicateKey(bytes.toString('utf8'));
    if (key === undefined) next();
    else next(badRequest([{ field: key, message: 'appears more than once' }], 'Invalid JSON body'));
  });
}

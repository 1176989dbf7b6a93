import { HttpException } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { isUtf8 } from 'node:buffer';
import { findDuplicateKey } from './duplicate-key';
import { badRequest } from './zod-validation.pipe';

const BOM = '\uFEFF';
const invalidBody = (message: string) => badRequest([{ field: '(body)', message }], 'Invalid JSON body');

/**
 * How every service reads a request body: JSON only (415 otherwise), up to the app's body
 * limit (413, Fastify's), in UTF-8 (a decoder would quietly turn bad bytes into U+FFFD), with a leading
 * byte order mark ignored as RFC 8259 allows, and no key given twice in one object.
 */
export function useJsonBody(app: NestFastifyApplication) {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, bytes: Buffer, done) => {
    if (!isUtf8(bytes)) return done(invalidBody('is not valid UTF-8'));
    let text = bytes.toString('utf8');
    if (text.startsWith(BOM)) text = text.slice(1);
    if (text.trim() === '') return done(null, undefined);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return done(invalidBody('is not valid JSON')); // JSON.parse's own message quotes the body
    }
    const key = findDuplicateKey(text);
    if (key !== undefined)
      return done(badRequest([{ field: key, message: 'appears more than once' }], 'Invalid JSON body'));
    done(null, body);
  });
  // A body in another format would reach handlers as undefined: refuse it outright.
  fastify.addContentTypeParser('*', (_req, _payload, done) =>
    done(new HttpException({ statusCode: 415, message: 'Content-Type must be application/json' }, 415)),
  );
}

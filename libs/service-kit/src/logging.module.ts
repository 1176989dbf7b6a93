import { DynamicModule, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { LoggerModule } from 'nestjs-pino';
import { safeError } from './safe-error';

/** Accepted as a correlation id from a caller; anything else is replaced by a fresh uuid. */
export const CORRELATION_ID = /^[\w.:-]{1,100}$/;

/** The request's correlation id: the caller's `x-correlation-id` when well-formed, else a fresh uuid. */
export function correlationIdOf(req: { headers: Record<string, string | string[] | undefined> }): string {
  const header = req.headers['x-correlation-id'];
  return typeof header === 'string' && CORRELATION_ID.test(header) ? header : randomUUID();
}

/**
 * Structured JSON logs (pino). Every HTTP request gets a correlation id, taken from the
 * `x-correlation-id` header when it is well-formed and echoed back; it travels on in
 * events. Bodies are never logged, fields that may hold addresses are redacted, and errors
 * are logged as `safeError` describes them.
 */
@Module({})
export class LoggingModule {
  static forRoot(service: string, level = process.env.LOG_LEVEL ?? 'info'): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level,
            base: { service },
            messageKey: 'msg',
            // Fastify has already given the request its id (createServiceApp): keep it.
            genReqId: (req, res) => {
              const given = (req as { id?: unknown }).id;
              const id = typeof given === 'string' ? given : correlationIdOf(req);
              res.setHeader('x-correlation-id', id);
              return id;
            },
            customProps: (req) => ({ correlationId: req.id }),
            // Raw objects to the serializers below: pino-http's wrapping would hand the error
            // serializer a copy already holding every field (statement parameters included).
            wrapSerializers: false,
            serializers: {
              req: (req: { method: string; url: string }) => ({ method: req.method, path: req.url.split('?')[0] }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
              err: safeError,
            },
            hooks: {
              // pino takes an error's raw message as the line's msg; give it the safe one.
              logMethod(args, method) {
                const [first] = args as unknown[];
                if (args.length === 1 && typeof first === 'object' && first !== null && 'err' in first)
                  return method.apply(this, [first, safeError(first.err).message]);
                return method.apply(this, args);
              },
            },
            redact: {
              paths: ['contactEmail', 'email', 'recipient', '*.contactEmail', '*.email', '*.recipient'],
              censor: '[redacted]',
            },
            autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
          },
        }),
      ],
    };
  }
}

import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { Response } from 'express';

const UNAVAILABLE_SQLSTATE = /^(08|53|57P0)/;
const UNAVAILABLE_MESSAGE =
  /ECONNREFUSED|ECONNRESET|Connection terminated|timeout exceeded when trying to connect|terminating connection|the database system is (starting up|shutting down|in recovery mode)/i;

/** True for errors that mean "the database cannot be reached", not "this request is wrong". */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown } | undefined;
  if (!e || err instanceof HttpException) return false;
  if (typeof e.code === 'string' && UNAVAILABLE_SQLSTATE.test(e.code)) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  return e.driverError !== undefined && e.driverError !== err && isDatabaseUnavailable(e.driverError);
}

/**
 * HTTP callers get 503 with Retry-After while the database is down (their request was not
 * applied; retrying is safe), instead of a 500. Everything else goes to Nest's default
 * handling, which never exposes a stack trace.
 */
@Catch()
export class DatabaseUnavailableFilter extends BaseExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  override catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType() === 'http' && isDatabaseUnavailable(exception)) {
      this.logger.warn({ msg: 'database unavailable; answered 503', err: exception });
      const res = host.switchToHttp().getResponse<Response>();
      res.setHeader('retry-after', '1');
      res.status(503).json({ statusCode: 503, message: 'Service temporarily unavailable, please retry' });
      return;
    }
    super.catch(exception, host);
  }
}

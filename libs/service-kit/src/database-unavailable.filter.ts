import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpServer, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { isDatabaseUnavailable } from '@transactional-outbox/inbox';

/**
 * HTTP callers get 503 with Retry-After while the database is down (their request was not
 * applied; retrying is safe), instead of a 500. Everything else goes to Nest's default
 * handling, which never exposes a stack trace. The classifier is the inbox's, so a
 * service and its consumers agree on what an outage is.
 */
@Catch()
export class DatabaseUnavailableFilter extends BaseExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  override catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType() === 'http' && !(exception instanceof HttpException) && isDatabaseUnavailable(exception)) {
      this.logger.warn({ msg: 'database unavailable; answered 503', err: exception });
      const res: unknown = host.switchToHttp().getResponse();
      const http = this.applicationRef as HttpServer;
      http.setHeader(res, 'retry-after', '1');
      http.reply(res, { statusCode: 503, message: 'Service temporarily unavailable, please retry' }, 503);
      return;
    }
    super.catch(exception, host);
  }
}

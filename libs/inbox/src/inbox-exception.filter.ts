import { ArgumentsHost, Catch, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

/**
 * Nest's default RPC filter replaces any error with "Internal server error". Apply this
 * one to inbox handlers (`@UseFilters(InboxExceptionFilter)`) so the transport sees the
 * real error: it decides retry versus dead-letter, and the DLT header names the cause.
 */
@Catch()
export class InboxExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

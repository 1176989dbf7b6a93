import { ArgumentsHost, Catch, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

/**
 * Hands a handler's error to the inbox as it was thrown. Nest's default RPC filter
 * replaces any error with "Internal server error", which would hide the cause from the
 * dead-letter header. `connectInbox` and `createInboxMicroservice` register it on the
 * inbox's microservice only; handlers need no `@UseFilters`.
 */
@Catch()
export class InboxExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

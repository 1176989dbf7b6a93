import {
  applyDecorators,
  CanActivate,
  DynamicModule,
  ExecutionContext,
  ForbiddenException,
  Global,
  Inject,
  Injectable,
  Module,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** The name of the bearer scheme in the OpenAPI document (serveApiDocs declares it). */
export const OPERATOR_SCHEME = 'operator';
const OPERATOR_TOKEN = Symbol('OPERATOR_TOKEN');
const MIN_LENGTH = 32;
// RFC 6750's b64token: what may follow `Bearer ` in the header.
const B64TOKEN = '[A-Za-z0-9\\-._~+/]+=*';

/** The operator credential every service requires: `OPERATOR_TOKEN`, at least 32 characters. */
export const operatorTokenSchema = {
  OPERATOR_TOKEN: z
    .string({ error: `required: the operator's bearer token, at least ${MIN_LENGTH} characters` })
    .min(MIN_LENGTH, `must be at least ${MIN_LENGTH} characters (e.g. openssl rand -hex 32)`)
    .regex(new RegExp(`^${B64TOKEN}$`), 'must be a bearer token: letters, digits, - . _ ~ + / and trailing ='),
};

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time equality: both sides hashed to 32 bytes first, so neither content nor length leaks. */
export function tokensMatch(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

// The scheme is case-insensitive (RFC 9110); anything but one b64token after it is malformed.
const BEARER = new RegExp(`^Bearer +(${B64TOKEN}) *$`, 'i');

/**
 * Lets a request through with `Authorization: Bearer <OPERATOR_TOKEN>`: 401 (with
 * `WWW-Authenticate: Bearer`) without it or with a malformed header, 403 with another token.
 * The header is never logged (the request serializer in logging.module.ts keeps method and path).
 */
@Injectable()
export class OperatorGuard implements CanActivate {
  constructor(@Inject(OPERATOR_TOKEN) private readonly token: string) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const header = http.getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers.authorization;
    const given = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
    if (given === undefined) {
      const invalid = header === undefined ? '' : ', error="invalid_request"';
      http
        .getResponse<{ header(n: string, v: string): void }>()
        .header('WWW-Authenticate', `Bearer realm="${OPERATOR_SCHEME}"${invalid}`);
      throw new UnauthorizedException(
        header === undefined
          ? 'an operator credential is required: Authorization: Bearer <token>'
          : 'malformed Authorization header: expected Bearer <token>',
      );
    }
    if (!tokensMatch(given, this.token)) throw new ForbiddenException('the operator token is not valid');
    return true;
  }
}

/** Provides the token to OperatorGuard in every module of the app. */
@Global()
@Module({})
export class OperatorAuthModule {
  static forRoot(token: string): DynamicModule {
    return {
      module: OperatorAuthModule,
      providers: [{ provide: OPERATOR_TOKEN, useValue: token }, OperatorGuard],
      exports: [OPERATOR_TOKEN, OperatorGuard],
    };
  }
}

/** Marks a route (or a controller) as an operator action: the guard, and the scheme and refusals in OpenAPI. */
export const OperatorOnly = () =>
  applyDecorators(
    UseGuards(OperatorGuard),
    ApiBearerAuth(OPERATOR_SCHEME),
    ApiUnauthorizedResponse({ description: 'No operator credential, or a malformed Authorization header' }),
    ApiForbiddenResponse({ description: 'A wrong operator token' }),
  );

import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'dashboard_session';

/**
 * The operator's logins: a random id in an HttpOnly, SameSite=Strict cookie, kept here in
 * memory until it expires or the operator logs out. The token itself never leaves the login
 * request: not in a cookie, a URL or the page.
 */
export class Sessions {
  private readonly expiresAt = new Map<string, number>();

  constructor(readonly ttlMs: number) {}

  open(): string {
    this.prune();
    const id = randomBytes(32).toString('base64url');
    this.expiresAt.set(id, Date.now() + this.ttlMs);
    return id;
  }

  valid(id: string | undefined): boolean {
    const until = id === undefined ? undefined : this.expiresAt.get(id);
    return until !== undefined && until > Date.now();
  }

  close(id: string | undefined): void {
    if (id !== undefined) this.expiresAt.delete(id);
  }

  /** The cookie that holds `id`; with no id, the one that makes the browser forget it. */
  cookie(id?: string): string {
    const maxAge = id === undefined ? 0 : Math.floor(this.ttlMs / 1000);
    return `${SESSION_COOKIE}=${id ?? ''}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}`;
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, until] of this.expiresAt) if (until <= now) this.expiresAt.delete(id);
  }
}

/** The session id a request's Cookie header carries, if any. */
export function sessionOf(req: { headers: Record<string, string | string[] | undefined> }): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const [name, value] = part.trim().split('=');
    if (name === SESSION_COOKIE && value) return value;
  }
  return undefined;
}

/** Every API route but login: viewing too, since the page lists operational data (ids, errors). */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(private readonly sessions: Sessions) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.sessions.valid(sessionOf(context.switchToHttp().getRequest()))) return true;
    throw new UnauthorizedException('log in with the operator token first');
  }
}

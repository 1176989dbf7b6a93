import { ExecutionContext, ForbiddenException, HttpException, UnauthorizedException } from '@nestjs/common';
import { OperatorGuard, tokensMatch } from './operator-auth';

const TOKEN = 'a-test-operator-token-of-40-characters-xx';

describe('tokensMatch', () => {
  it('is true for the same token only', () => {
    expect(tokensMatch(TOKEN, TOKEN)).toBe(true);
    expect(tokensMatch(`${TOKEN}x`, TOKEN)).toBe(false);
    expect(tokensMatch(TOKEN.slice(0, -1), TOKEN)).toBe(false);
    expect(tokensMatch('', TOKEN)).toBe(false);
    expect(tokensMatch(TOKEN.toUpperCase(), TOKEN)).toBe(false);
  });

  it('compares inputs of any length without throwing (timingSafeEqual needs equal lengths: digests are)', () => {
    expect(() => tokensMatch('x'.repeat(10_000), TOKEN)).not.toThrow();
    expect(tokensMatch('x'.repeat(10_000), 'x'.repeat(10_000))).toBe(true);
  });
});

describe('OperatorGuard', () => {
  const guard = new OperatorGuard(TOKEN);
  /** What the guard decides for a request with these headers, and the response headers it set. */
  const decide = (authorization?: string) => {
    const set: Record<string, string> = {};
    const context = {
      switchToHttp: () => ({
        getRequest: () => ({ headers: authorization === undefined ? {} : { authorization } }),
        getResponse: () => ({ header: (name: string, value: string) => (set[name] = value) }),
      }),
    } as unknown as ExecutionContext;
    try {
      return { allowed: guard.canActivate(context), set };
    } catch (err) {
      if (!(err instanceof HttpException)) throw err;
      return { refused: err, body: err.getResponse(), set };
    }
  };

  it('lets the right token through, whatever the scheme case', () => {
    expect(decide(`Bearer ${TOKEN}`)).toEqual({ allowed: true, set: {} });
    expect(decide(`bearer ${TOKEN}`).allowed).toBe(true);
  });

  it('answers 401 with WWW-Authenticate: Bearer when there is no credential', () => {
    const { refused, body, set } = decide();
    expect(refused).toBeInstanceOf(UnauthorizedException);
    expect(body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'an operator credential is required: Authorization: Bearer <token>',
    });
    expect(set).toEqual({ 'WWW-Authenticate': 'Bearer realm="operator"' });
  });

  it.each([
    ['another scheme', `Basic ${Buffer.from(`operator:${TOKEN}`).toString('base64')}`],
    ['the token alone', TOKEN],
    ['an empty bearer', 'Bearer '],
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
    ['a character outside b64token', `Bearer ${TOKEN}!`],
  ])('answers 401 (invalid_request) for a malformed header: %s', (_name, header) => {
    const { refused, body, set } = decide(header);
    expect(refused).toBeInstanceOf(UnauthorizedException);
    expect(body).toMatchObject({ statusCode: 401, message: 'malformed Authorization header: expected Bearer <token>' });
    expect(set).toEqual({ 'WWW-Authenticate': 'Bearer realm="operator", error="invalid_request"' });
  });

  it('answers 403 for a well-formed wrong token, and says nothing of the right one', () => {
    const { refused, body } = decide(`Bearer ${TOKEN.slice(0, -1)}y`);
    expect(refused).toBeInstanceOf(ForbiddenException);
    expect(body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'the operator token is not valid' });
  });
});

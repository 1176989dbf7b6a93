import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { settings } from '@shop/infra';
import { loadDashboardConfig } from './config';
import { createDashboardApp } from './create-app';

/**
 * The dashboard's API in-process, without drills and with services that do not answer
 * (port 9): the login, the session it opens, the refusals, the validation.
 */
describe('dashboard API: login, session, validation', () => {
  let app: NestFastifyApplication;
  const nowhere = 'http://127.0.0.1:9';
  const inject = (opts: { method?: 'GET' | 'POST'; url: string; body?: unknown; cookie?: string }) =>
    app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method: opts.method ?? 'GET',
        url: opts.url,
        headers: {
          ...(opts.cookie ? { cookie: opts.cookie } : {}),
          ...(opts.body ? { 'content-type': 'application/json' } : {}),
        },
        payload: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
  const login = async () => {
    const res = await inject({ method: 'POST', url: '/api/login', body: { token: settings.operatorToken } });
    expect(res.statusCode).toBe(204);
    return String(res.headers['set-cookie']).split(';')[0];
  };

  beforeAll(async () => {
    const config = loadDashboardConfig({
      OPERATOR_TOKEN: settings.operatorToken,
      BROKER: 'rabbitmq', // no topic to read here
      ORDER_SERVICE_URL: nowhere,
      SHIPPING_SERVICE_URL: nowhere,
      EMAIL_SERVICE_URL: nowhere,
    });
    app = await createDashboardApp(config, { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(() => app?.close());

  it('serves the page with a policy that loads nothing from elsewhere', async () => {
    const res = await inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<title>Outbox flow dashboard</title>');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('shows nothing before a login', async () => {
    expect((await inject({ url: '/api/state' })).statusCode).toBe(401);
    expect((await inject({ url: '/api/events' })).statusCode).toBe(401);
    expect(JSON.parse((await inject({ url: '/api/session' })).body)).toEqual({ loggedIn: false });
  });

  it('refuses a wrong token (401), a missing one (400 naming token) and a form post (415)', async () => {
    expect((await inject({ method: 'POST', url: '/api/login', body: { token: 'wrong' } })).statusCode).toBe(401);
    const missing = await inject({ method: 'POST', url: '/api/login', body: {} });
    expect([missing.statusCode, JSON.parse(missing.body).errors[0].field]).toEqual([400, 'token']);
    const form = await app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method: 'POST',
        url: '/api/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `token=${settings.operatorToken}`,
      });
    expect(form.statusCode).toBe(415);
  });

  it('opens a session in an HttpOnly, SameSite=Strict cookie that holds no token', async () => {
    const res = await inject({ method: 'POST', url: '/api/login', body: { token: settings.operatorToken } });
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^dashboard_session=[\w-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/);
    expect(cookie).not.toContain(settings.operatorToken);
    const session = cookie.split(';')[0];
    expect(JSON.parse((await inject({ url: '/api/session', cookie: session })).body)).toEqual({ loggedIn: true });
  });

  it.each([
    [{ count: 0 }, 'count'],
    [{ count: 51 }, 'count'],
    [{ count: 'ten' }, 'count'],
    [{ count: 1, extra: true }, '(body)'],
  ])('refuses POST /api/orders %j with a 400 naming %s', async (body, field) => {
    const res = await inject({ method: 'POST', url: '/api/orders', body, cookie: await login() });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).errors.map((e: { field: string }) => e.field)).toEqual([field]);
  });

  it('has no drills outside the demo (404), and answers 502 when order-service does not', async () => {
    const cookie = await login();
    expect((await inject({ method: 'POST', url: '/api/drills/kill-broker', body: {}, cookie })).statusCode).toBe(404);
    const placed = await inject({ method: 'POST', url: '/api/orders', body: { count: 1 }, cookie });
    expect(placed.statusCode).toBe(502);
  });

  it('ends the session at logout', async () => {
    const cookie = await login();
    const out = await inject({ method: 'POST', url: '/api/logout', body: {}, cookie });
    expect(out.statusCode).toBe(204);
    // The browser is told to forget the cookie too.
    expect(out.headers['set-cookie']).toMatch(/^dashboard_session=; .*Max-Age=0$/);
    expect((await inject({ url: '/api/state', cookie })).statusCode).toBe(401);
  });
});

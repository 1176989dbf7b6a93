import { readFileSync } from 'node:fs';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Browser, chromium, Page } from 'playwright-core';
import {
  ROOT_DIR,
  serviceNames,
  settings,
  startBroker,
  startService,
  supervise,
  SupervisedService,
  waitFor,
} from '@shop/infra';
import { dashboardUrl, startDemoDashboard } from '@shop/demo-dashboard';

/**
 * The dashboard in headless Chromium against the running system, as `npm run demo` starts it
 * (with drills): an order placed from the page shows every hop; the broker killed from the page
 * makes the backlog rise, and brought back, drain to 0; no console errors; usable at 375 px.
 * DASHBOARD_SCREENSHOT=<file.png> also saves the page at 1280×900 (`npm run dashboard:screenshot`).
 */
jest.setTimeout(240_000);

const HOPS = ['committed', 'claimed', 'onTopic', 'scheduled', 'emailed'] as const;
const supervisorLines: string[] = [];
const problems: string[] = [];
let services: SupervisedService[] = [];
let dashboard: NestFastifyApplication;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  for (const name of serviceNames)
    services.push(supervise(await startService(name), { say: (line) => supervisorLines.push(line) }));
  dashboard = await startDemoDashboard(new Map(serviceNames.map((n, i) => [n, services[i]])), () => undefined);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(dashboardUrl());
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await startBroker().catch(() => undefined); // a failed run may have left it down
  await Promise.all(services.map((s) => s.stop()));
  services = [];
});

const status = () => page.locator('#action-status');
/** Waits for the action status line to say `text`; a timeout names what it said instead. */
async function statusSays(text: string, timeout = 30_000) {
  await status()
    .filter({ hasText: text })
    .waitFor({ timeout })
    .catch(async () => {
      throw new Error(`the status did not say "${text}" but "${await status().textContent()}"`);
    });
}
const backlog = async () => Number(await page.locator('#backlog').textContent());

it('refuses a wrong token, then logs in with the operator token', async () => {
  await page.getByLabel('Operator token').fill('not-the-token');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText('Not logged in: the operator token is not valid').waitFor();
  await page.getByLabel('Operator token').fill(settings.operatorToken);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText(/^live · /).waitFor();
  expect(await page.getByRole('button', { name: 'Kill the broker' }).isVisible()).toBe(true);
  problems.splice(0); // the refused login's 401
});

it('shows every hop of an order placed from the page, then its dispatch', async () => {
  await page.getByRole('button', { name: 'Place an order' }).click();
  const said = (await status().filter({ hasText: 'placed order' }).textContent()) ?? '';
  const shortId = /placed order (\w{8})/.exec(said)?.[1];
  expect(shortId).toBeDefined();
  const flow = page.locator(`li.flow[data-order^="${shortId}"]`);
  for (const hop of HOPS) await flow.locator(`li[data-hop="${hop}"].done`).waitFor({ timeout: 30_000 });
  expect(await flow.locator('li[data-hop="onTopic"]').textContent()).toMatch(
    /outbox\.event\.order partition \d+ offset \d+/,
  );

  await flow.getByRole('button', { name: /^Dispatch order/ }).click();
  for (const hop of ['dispatched', 'shippedNotice'])
    await flow.locator(`li[data-hop="${hop}"].done`).waitFor({ timeout: 30_000 });
  await flow
    .getByText('SHIPPED', { exact: true })
    .or(flow.getByText('DISPATCHED', { exact: true }))
    .waitFor();
});

it('kills the broker from the page: the backlog rises, and drains to 0 once it is back', async () => {
  await page.getByRole('button', { name: 'Kill the broker' }).click();
  await statusSays('drill kill-broker: done', 30_000);
  await page.getByLabel('Burst size').fill('5');
  await page.getByRole('button', { name: 'Place a burst' }).click();
  await statusSays('placed 5 orders', 30_000);
  await waitFor('the backlog to rise above 0', async () => (await backlog()) > 0, 15_000);

  await page.getByRole('button', { name: 'Start the broker' }).click();
  await statusSays('drill start-broker: done', 90_000);
  await waitFor('the backlog to drain to 0', async () => (await backlog()) === 0, 90_000);
  // Drained by publishing, not by parking: no row is waiting for an operator.
  expect(await page.locator('#gauges tr[data-service="order-service"] td').nth(3).textContent()).toBe('0');
});

it('is usable at 375 px and has no serious accessibility violations', async () => {
  await page.setViewportSize({ width: 375, height: 800 });
  // No sideways scrolling of the page (wide tables scroll inside their own box).
  expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
  await page.locator('#place-one').focus();
  await page.keyboard.press('Enter');
  await statusSays('placed order');
  // The dashboard's own consumer is back after the broker's restart: this order reaches the topic and beyond.
  const said = (await status().textContent()) ?? '';
  const flow = page.locator(`li.flow[data-order^="${/placed order (\w{8})/.exec(said)?.[1]}"]`);
  for (const hop of HOPS)
    await flow
      .locator(`li[data-hop="${hop}"].done`)
      .waitFor({ timeout: 60_000 })
      .catch(() => {
        throw new Error(`hop ${hop} of the order placed at 375 px did not appear`);
      });
  // Evaluated through DevTools, which the page's CSP (scripts from itself only) does not govern.
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const violations = await page.evaluate(`axe.run().then((r) => r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))`);
  expect(violations).toEqual([]);
});

it('logged no console errors and no page errors', async () => {
  const shot = process.env.DASHBOARD_SCREENSHOT;
  if (shot) {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: shot.startsWith('/') ? shot : `${ROOT_DIR}/${shot}` });
  }
  expect(problems).toEqual([]);
  expect(supervisorLines).toEqual([]);
});

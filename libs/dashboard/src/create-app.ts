import { join } from 'node:path';
import { createServiceApp, ServiceAppOptions } from '@shop/service-kit';
import { DashboardConfig } from './config';
import { DashboardModule } from './dashboard.module';
import { DashboardState } from './dashboard-state';
import { DrillPort } from './drill-port';

// The page loads nothing from elsewhere, and no other site may frame it.
const securityHeaders = {
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * The flow dashboard: the page in apps/dashboard/public and its API. With `drills` (the local
 * demo only) the page offers failure drills against the processes the demo started.
 */
export async function createDashboardApp(
  config: DashboardConfig,
  options: ServiceAppOptions & { drills?: DrillPort } = {},
) {
  const { drills, ...appOptions } = options;
  // logger: false silences the request log too (the demo runs it in its own process).
  const logLevel = appOptions.logger === false ? 'silent' : undefined;
  const app = await createServiceApp(DashboardModule.forRoot(config, drills, logLevel), appOptions);
  app.useStaticAssets({ root: join(__dirname, '..', 'public'), prefix: '/' });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', async (_req, reply) => {
      for (const [name, value] of Object.entries(securityHeaders)) reply.header(name, value);
    });
  await app.get(DashboardState).start();
  return app;
}

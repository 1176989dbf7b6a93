import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createDashboardApp, DrillPort, loadDashboardConfig } from '@shop/dashboard';
import {
  kafkaBrokers,
  killBroker,
  killRabbitmq,
  ServiceName,
  serviceUrl,
  settings,
  startBroker,
  startRabbitmq,
  SupervisedService,
  zipkinRunning,
  zipkinUrl,
} from '@shop/infra';

export const dashboardUrl = () => `http://${settings.host}:${settings.dashboard.port}`;

/**
 * Drills against what the demo started: the broker of this run, order-service (its relay runs
 * in it; the supervisor restarts it), shipping-service (a consumer, frozen then thawed).
 */
export function demoDrills(services: Map<ServiceName, SupervisedService>, say: (line: string) => void): DrillPort {
  const processOf = (name: ServiceName) => {
    const service = services.get(name);
    if (!service) throw new Error(`${name} is not running in this demo`);
    return service.current().process;
  };
  const kafka = settings.broker === 'kafka';
  return {
    async killBroker() {
      say(`drill: SIGKILL ${settings.broker} (from the dashboard)`);
      await (kafka ? killBroker() : killRabbitmq());
    },
    async startBroker() {
      say(`drill: starting ${settings.broker} again (from the dashboard)`);
      await (kafka ? startBroker() : startRabbitmq());
    },
    async killRelay() {
      say('drill: SIGKILL order-service, whose process runs the relay (from the dashboard)');
      processOf('order-service').kill('SIGKILL');
    },
    async pauseConsumer(seconds: number) {
      const consumer = processOf('shipping-service');
      say(`drill: SIGSTOP shipping-service for ${seconds}s (from the dashboard)`);
      consumer.kill('SIGSTOP');
      setTimeout(() => consumer.kill('SIGCONT'), seconds * 1000);
    },
  };
}

/**
 * The flow dashboard in this process, with drills: `npm run demo` and the browser test start
 * it so. Silent (no request log): its lines would mix with the demo's.
 */
export async function startDemoDashboard(
  services: Map<ServiceName, SupervisedService>,
  say: (line: string) => void,
): Promise<NestFastifyApplication> {
  const config = loadDashboardConfig({
    HOST: settings.host,
    PORT: String(settings.dashboard.port),
    OPERATOR_TOKEN: settings.operatorToken,
    ORDER_SERVICE_URL: serviceUrl('order-service'),
    SHIPPING_SERVICE_URL: serviceUrl('shipping-service'),
    EMAIL_SERVICE_URL: serviceUrl('email-service'),
    BROKER: settings.broker,
    KAFKA_BROKERS: kafkaBrokers().join(','),
    KAFKA_SASL_USERNAME: 'dashboard',
    KAFKA_SASL_PASSWORD: settings.kafka.users.dashboard,
    ZIPKIN_UI_URL: process.env.ZIPKIN_UI_URL ?? ((await zipkinRunning()) ? zipkinUrl() : undefined),
  });
  const app = await createDashboardApp(config, {
    logger: false,
    shutdownHooks: false, // the demo stops it, then the services, on Ctrl-C
    drills: demoDrills(services, say),
  });
  try {
    await app.listen(config.PORT, config.HOST);
  } catch (err) {
    await app.close();
    throw err;
  }
  return app;
}

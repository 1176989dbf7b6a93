import { bringInfraUp } from './global-setup';

/**
 * For the projects that use RabbitMQ whatever BROKER says: the integration tests (both
 * brokers' adapters) and the fault matrix (its RabbitMQ subset). Jest runs each distinct
 * global setup file once.
 */
export default () => bringInfraUp({ rabbitmq: true });

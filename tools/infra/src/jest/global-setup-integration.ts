import { bringInfraUp } from './global-setup';

/**
 * The integration tests publish to RabbitMQ as well; the end-to-end and fault tests do not,
 * so only this project starts it (jest runs each distinct global setup file once).
 */
export default () => bringInfraUp({ rabbitmq: true });

export { RabbitMqPublisher } from './rabbitmq-publisher';

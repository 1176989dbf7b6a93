export { OutboxMetrics } from './outbox-metrics';

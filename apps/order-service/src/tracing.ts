import { startTracing } from '@shop/service-kit/tracing';

startTracing('order-service');

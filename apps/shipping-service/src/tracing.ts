import { startTracing } from '@shop/service-kit/tracing';

startTracing('shipping-service');

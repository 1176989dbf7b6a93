import { startTracing } from '@shop/service-kit/tracing';

startTracing('email-service');

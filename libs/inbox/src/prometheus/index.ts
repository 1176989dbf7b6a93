// prom-client implementation of the inbox's metrics sink.
export { InboxMetrics } from './inbox-metrics';

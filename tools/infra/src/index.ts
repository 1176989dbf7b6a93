export {
  infraUp,
  infraDown,
  stopStarted,
  zipkinRequested,
  infraStatus,
  infraMode,
  describeEndpoints,
  stopBroker,
  brokerLog,
  startBroker,
  killBroker,
  killBrokerNode,
  startBrokerNode,
  crashPostgres,
  startPostgres,
  pauseBroker,
  resumeBroker,
  stopRabbitmq,
  startRabbitmq,
  killRabbitmq,
  pauseRabbitmq,
  resumeRabbitmq,
} from './infra';
export type { InfraMode, InfraStatus, InfraUpOptions } from './infra';
export { dropReplicationSlots } from './service-databases';
export {
  settings,
  serviceDatabases,
  kafkaBrokers,
  kafkaNodes,
  kafkaClient,
  kafkaEnv,
  mailApiUrl,
  operatorAuthorization,
  rabbitmqUrl,
  zipkinUrl,
  ROOT_DIR,
  INFRA_DIR,
} from './settings';
export type { KafkaNode, RabbitmqServiceUser } from './settings';
export { partitionLeader, partitionStates } from './kafka-cluster';
export type { PartitionState } from './kafka-cluster';
export { startNativeKafka, stopNativeKafka, signalKafka } from './native-kafka';
export { startNativeZipkin, stopNativeZipkin, zipkinRunning } from './native-zipkin';
export {
  prometheusUrl,
  renderPrometheusConfig,
  startNativePrometheus,
  stopNativePrometheus,
} from './native-prometheus';
export { grantAcls } from './kafka-acls';
export { kafkaRefusal, tryToWrite } from './kafka-probe';
export type { AclGrant } from './kafka-acls';
export {
  startConnect,
  stopConnect,
  killConnect,
  connectStatus,
  connectRunning,
  dropDebeziumSlots,
  ensureDebeziumRole,
  debeziumConnectors,
  debeziumRole,
  connectLog,
  connectUrl,
} from './native-connect';
export type { ConnectStatus, DebeziumConnector } from './native-connect';
export { startNativePostgres, stopNativePostgres, adminConnection, queryAsAdmin } from './native-postgres';
export { InfraError, sleep, waitFor, portOpen, listeningPid, run, commandExists } from './process-utils';
export { createTestDatabase } from './test-database';
export { startService, startServices, serviceNames, serviceUrl, servicePort, serviceEnv, logDir } from './services';
export type { ServiceName, RunningService } from './services';
export { supervise } from './service-supervisor';
export type { SupervisedService, SuperviseOptions } from './service-supervisor';
export { readMailbox } from './mailbox';
export type { MailMessage } from './mailbox';
export { consumerLag, readTopic, readWholeTopic } from './topic-reader';
export type { ReadMessage } from './topic-reader';
export { publishToTopic, tapDeadLetters, tapTopic } from './event-tap';
export type { EventTap, TappedMessage } from './event-tap';
export { inboxQueues } from './rabbitmq-queues';
export { spawnTs, runTs } from './ts-process';
export { TcpProxy } from './tcp-proxy';
export type { ProxyMode } from './tcp-proxy';

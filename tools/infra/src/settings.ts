import { resolve } from 'node:path';

/** Where the project keeps its infrastructure state (git-ignored). */
export const ROOT_DIR = resolve(__dirname, '../../..');
export const INFRA_DIR = process.env.INFRA_DIR ?? resolve(ROOT_DIR, '.infra');

const int = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
};

export type Broker = 'kafka' | 'rabbitmq';

/** INFRA_KAFKA_BROKERS: one broker (the default) or a KRaft cluster of three (native mode). */
function kafkaBrokerCount(): 1 | 3 {
  const raw = process.env.INFRA_KAFKA_BROKERS || '1';
  if (raw !== '1' && raw !== '3') throw new Error(`INFRA_KAFKA_BROKERS must be 1 or 3, got "${raw}"`);
  return raw === '1' ? 1 : 3;
}

/** The broker the services of this run use (BROKER, as the services read it); Kafka unless it says. */
function broker(): Broker {
  const raw = process.env.BROKER || 'kafka';
  if (raw !== 'kafka' && raw !== 'rabbitmq') throw new Error(`BROKER must be "kafka" or "rabbitmq", got "${raw}"`);
  return raw;
}

/**
 * Ports and credentials are the same in docker and native mode, so a service's
 * configuration does not depend on how the infrastructure was started.
 * The passwords are development defaults; real deployments set them in the environment.
 */
export const settings = {
  host: '127.0.0.1',
  /**
   * Kafka runs either way (tests and tools use it); RabbitMQ too when this is rabbitmq. Read
   * at each use, so that the demo can set BROKER from its `--broker` option.
   */
  get broker(): Broker {
    return broker();
  },
  postgres: {
    port: int('INFRA_PG_PORT', 55432),
    adminUser: 'postgres',
    adminPassword: process.env.INFRA_PG_ADMIN_PASSWORD ?? 'postgres',
  },
  kafka: {
    port: int('INFRA_KAFKA_PORT', 29092),
    controllerPort: int('INFRA_KAFKA_CONTROLLER_PORT', 29093),
    /** A second listener that advertises proxyPort: fault tests put a TCP proxy in between. */
    proxiedPort: int('INFRA_KAFKA_PROXIED_PORT', 29094),
    proxyPort: int('INFRA_KAFKA_PROXY_PORT', 29095),
    heapMb: int('INFRA_KAFKA_HEAP_MB', 512),
    /** 3: three combined broker+controller nodes, topics replicated three times (min.insync.replicas 2). */
    brokers: kafkaBrokerCount(),
    /** Nodes 2 and 3 of the cluster take the four ports from base + 10·(node − 2), in the order above. */
    clusterPortBase: int('INFRA_KAFKA_CLUSTER_PORT_BASE', 29100),
    clusterId: 'outboxRefClusterId0001',
    /**
     * SASL/SCRAM-SHA-512 users and their passwords: `admin` (super user) for infra and tests
     * only, one per service, and `connect` for Debezium. Their ACLs: kafka-acls.ts.
     */
    users: {
      admin: process.env.KAFKA_ADMIN_PASSWORD ?? 'admin_dev',
      'order-service': process.env.ORDER_KAFKA_PASSWORD ?? 'order_service_kafka_dev',
      'shipping-service': process.env.SHIPPING_KAFKA_PASSWORD ?? 'shipping_service_kafka_dev',
      'email-service': process.env.EMAIL_KAFKA_PASSWORD ?? 'email_service_kafka_dev',
      /** The flow dashboard: reads the event topics and their dead letters, nothing else. */
      dashboard: process.env.DASHBOARD_KAFKA_PASSWORD ?? 'dashboard_kafka_dev',
      connect: process.env.CONNECT_KAFKA_PASSWORD ?? 'connect_kafka_dev',
    },
  },
  /** Started only when asked for (`infraUp({ rabbitmq: true })`, INFRA_RABBITMQ=1, `--rabbitmq`). */
  rabbitmq: {
    // Not 35672–35682: rabbitmqctl takes its own Erlang distribution port from that range.
    port: int('INFRA_RABBITMQ_PORT', 5682),
    /** Erlang distribution (rabbitmqctl talks to the node through it); native mode only. */
    distPort: int('INFRA_RABBITMQ_DIST_PORT', 25682),
    /** Infra and tests only (tag administrator): declares the topology; never given to a service. */
    adminUser: 'outbox-admin',
    adminPassword: process.env.INFRA_RABBITMQ_PASSWORD ?? 'outbox_admin_dev',
  },
  smtp: {
    port: int('INFRA_SMTP_PORT', 1025),
    apiPort: int('INFRA_MAIL_API_PORT', 8025),
  },
  /** Zipkin, the trace viewer (optional: `infraUp({ zipkin: true })`, INFRA_ZIPKIN=1, `--zipkin`). */
  zipkin: {
    port: int('INFRA_ZIPKIN_PORT', 9411),
  },
  /** Kafka Connect with the Debezium connectors (optional, `npm run infra:connect -- up`): its REST API. */
  connect: {
    port: int('INFRA_CONNECT_PORT', 28083),
    /** The `debezium` role's password: it logs in, streams the WAL and reads the outbox tables only. */
    debeziumPassword: process.env.DEBEZIUM_DB_PASSWORD ?? 'debezium_dev',
  },
  /** Prometheus, started natively only when asked for (`infraUp({ prometheus: true })`, INFRA_PROMETHEUS=1, `--prometheus`). */
  prometheus: {
    port: int('INFRA_PROMETHEUS_PORT', 9090),
  },
  /**
   * The bearer token the services require for operator routes (listing, dispatching,
   * cancelling); the demo, tests and tutorial send it.
   */
  operatorToken: process.env.OPERATOR_TOKEN ?? 'operator-dev-token-do-not-deploy',
  /** The flow dashboard (apps/dashboard), which `npm run demo` starts. */
  dashboard: {
    port: int('INFRA_DASHBOARD_PORT', 3000),
  },
  /** order-service listens on this port, shipping-service on the next, email-service on the one after. */
  servicePortBase: int('INFRA_SERVICE_PORT_BASE', 3001),
} as const;

/**
 * One database and one login role per service; each role owns only its database. The roles
 * of services with an outbox may also stream their database's WAL (REPLICATION), for the
 * log-based relay (RELAY_MODE=logical) that runs in the service.
 */
export const serviceDatabases = [
  {
    database: 'orders',
    role: 'order_service',
    password: process.env.ORDER_DB_PASSWORD ?? 'order_service_dev',
    replication: true,
  },
  {
    database: 'shipping',
    role: 'shipping_service',
    password: process.env.SHIPPING_DB_PASSWORD ?? 'shipping_service_dev',
    replication: true,
  },
  {
    database: 'email',
    role: 'email_service',
    password: process.env.EMAIL_DB_PASSWORD ?? 'email_service_dev',
    replication: false,
  },
] as const;

/**
 * One RabbitMQ user per service, named after it; its permissions are in
 * infra/rabbitmq/users.sh (its own exchange and queues only, see there).
 */
export const rabbitmqServiceUsers = {
  'order-service': process.env.ORDER_RABBITMQ_PASSWORD ?? 'order_service_dev',
  'shipping-service': process.env.SHIPPING_RABBITMQ_PASSWORD ?? 'shipping_service_dev',
  'email-service': process.env.EMAIL_RABBITMQ_PASSWORD ?? 'email_service_dev',
} as const;
export type RabbitmqServiceUser = keyof typeof rabbitmqServiceUsers;

/** One node of the Kafka cluster (the single broker is node 1) and its ports. */
export interface KafkaNode {
  id: number;
  port: number;
  controllerPort: number;
  proxiedPort: number;
  proxyPort: number;
}

export const kafkaNodes = (): KafkaNode[] => {
  const { port, controllerPort, proxiedPort, proxyPort, brokers, clusterPortBase } = settings.kafka;
  const first = { id: 1, port, controllerPort, proxiedPort, proxyPort };
  const others = Array.from({ length: brokers - 1 }, (_, i) => {
    const base = clusterPortBase + 10 * i;
    return { id: i + 2, port: base, controllerPort: base + 1, proxiedPort: base + 2, proxyPort: base + 3 };
  });
  return [first, ...others];
};

/** Every node's client address: the bootstrap list services and tools are given. */
export const kafkaBrokers = (): string[] => kafkaNodes().map((n) => `${settings.host}:${n.port}`);

export type KafkaUser = keyof typeof settings.kafka.users;

/** A kafkajs client's brokers and credentials; tests and tools are `admin` unless they say. */
export const kafkaClient = (user: KafkaUser = 'admin', brokers = kafkaBrokers()) => ({
  brokers,
  sasl: { mechanism: 'scram-sha-512' as const, username: user, password: settings.kafka.users[user] },
});

/** The same as a process's environment, as the services (and test processes) read it. */
export const kafkaEnv = (user: KafkaUser, brokers = kafkaBrokers()): NodeJS.ProcessEnv => ({
  KAFKA_BROKERS: brokers.join(','),
  KAFKA_SASL_USERNAME: user,
  KAFKA_SASL_PASSWORD: settings.kafka.users[user],
});

/** The admin user's URL (infra, tests, tools), or a service user's. */
export const rabbitmqUrl = (service?: RabbitmqServiceUser): string => {
  const { adminUser, adminPassword, port } = settings.rabbitmq;
  const [user, password] = service ? [service, rabbitmqServiceUsers[service]] : [adminUser, adminPassword];
  return `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${settings.host}:${port}`;
};
/** The header an operator call carries: `fetch(url, { headers: operatorAuthorization() })`. */
export const operatorAuthorization = () => ({ authorization: `Bearer ${settings.operatorToken}` });
export const mailApiUrl = (): string => `http://${settings.host}:${settings.smtp.apiPort}`;
/** Where the services send their spans (ZIPKIN_URL), and where its UI is: `<zipkinUrl>/zipkin/`. */
export const zipkinUrl = (): string => `http://${settings.host}:${settings.zipkin.port}`;

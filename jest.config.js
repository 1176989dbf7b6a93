// Three tiers, all on real infrastructure where they need it:
//   unit         *.spec.ts      no I/O
//   integration  *.int-spec.ts  real PostgreSQL, Kafka and RabbitMQ (started by global setup)
//   e2e          e2e/**/*.e2e-spec.ts  the three services as separate processes
//   faults       e2e/src/faults        the same, under injected faults, then reconciled
//   faults-cluster  e2e/src/faults/*.cluster-spec.ts  the same on a three-broker Kafka cluster
//   confluent    the optional Kafka client's adapter (integration)
//   helm         deploy/helm rendered by Helm embedded in Java (Maven jars), no cluster
const { compilerOptions } = require('./tsconfig.base.json');

// tsconfig's paths, `*` included (a package's entry points: `@transactional-outbox/outbox/nest`).
const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace('*', '(.*)')}$`,
    `<rootDir>/${target.replace('*', '$1')}`,
  ]),
);

const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    },
  ],
};

// .infra holds PostgreSQL's data: its logical decoding writes pg_logical/snapshots/*.snap, which
// Jest would take for obsolete snapshot files (and `jest -u` would delete).
const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform,
  moduleNameMapper,
  modulePathIgnorePatterns: ['<rootDir>/.infra/'],
};
const infra = {
  globalSetup: '<rootDir>/tools/infra/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/tools/infra/src/jest/global-teardown.ts',
};

module.exports = {
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/tools/jest/summary-reporter.js'],
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools,bench}/**/*.spec.ts'] },
    {
      ...base,
      ...infra,
      globalSetup: '<rootDir>/tools/infra/src/jest/global-setup-rabbitmq.ts',
      setupFiles: ['<rootDir>/tools/jest/quiet-logs.js'],
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.int-spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/libs/outbox/src/confluent/'],
    },
    // The Helm chart: Java and Maven's jars, but none of the infrastructure the integration tier starts.
    { ...base, displayName: 'helm', testMatch: ['<rootDir>/tools/helm-check/**/*.helm-spec.ts'] },
    // The optional Kafka client's adapter, on the real broker (`npm run test:confluent`): it
    // needs @confluentinc/kafka-javascript built, which a plain `npm ci` may not have done.
    {
      ...base,
      ...infra,
      setupFiles: ['<rootDir>/tools/jest/quiet-logs.js'],
      displayName: 'confluent',
      testMatch: ['<rootDir>/libs/outbox/src/confluent/**/*.int-spec.ts'],
    },
    {
      ...base,
      ...infra,
      displayName: 'e2e',
      testMatch: ['<rootDir>/e2e/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/e2e/src/faults/'],
    },
    // The dashboard in headless Chromium (`npm run test:browser`): not in `npm test`, since a
    // contributor may not have Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
    {
      ...base,
      ...infra,
      displayName: 'browser',
      testMatch: ['<rootDir>/e2e/src/dashboard/**/*.browser-spec.ts'],
    },
    // The fault matrix: kills, pauses and restarts real processes (`npm run test:faults`).
    {
      ...base,
      ...infra,
      globalSetup: '<rootDir>/tools/infra/src/jest/global-setup-rabbitmq.ts',
      displayName: 'faults',
      testMatch: ['<rootDir>/e2e/src/faults/**/*.e2e-spec.ts'],
    },
    // The same on a three-broker Kafka cluster (`npm run test:faults:cluster`, INFRA_KAFKA_BROKERS=3):
    // its own project, so that the single-broker matrix never starts or needs the cluster.
    {
      ...base,
      ...infra,
      displayName: 'faults-cluster',
      testMatch: ['<rootDir>/e2e/src/faults/**/*.cluster-spec.ts'],
    },
  ],
};

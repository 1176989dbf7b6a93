import nx from '@nx/eslint-plugin';

// Module boundaries are the point of this file: the messaging libraries must stay
// copyable into another project, and the contracts must stay framework-free.
const constraints = [
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: ['type:messaging', 'type:contracts', 'type:platform', 'type:dashboard'],
  },
  // The flow dashboard: an app of the service platform, which the demo also runs in its process.
  { sourceTag: 'type:dashboard', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts', 'type:messaging'] },
  // Copy-out libraries: nothing from this repository, only npm packages.
  { sourceTag: 'type:messaging', onlyDependOnLibsWithTags: [] },
  {
    sourceTag: 'type:contracts',
    onlyDependOnLibsWithTags: [],
    bannedExternalImports: ['@nestjs/*', 'typeorm', 'kafkajs', 'pg', 'express'],
  },
  // The services' platform shares the inbox's database-outage classifier.
  { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:messaging'] },
  // Tools (the demo, the drill, docs:check) may drive the infrastructure tool.
  // The demo runs the dashboard in its own process, with drills against what it started.
  { sourceTag: 'type:tooling', onlyDependOnLibsWithTags: ['type:contracts', 'type:tooling', 'type:dashboard'] },
  // End-to-end tests name dead-letter topics as the inbox does.
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:tooling', 'type:contracts', 'type:messaging'] },
  // The benchmark drives the messaging libraries on the project's infrastructure.
  { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['type:messaging', 'type:contracts', 'type:tooling'] },
  // A tutorial's example uses the messaging libraries as a user would: nothing else from here.
  { sourceTag: 'type:tutorial', onlyDependOnLibsWithTags: ['type:messaging'] },
];

// Integration tests may use the project's infrastructure helpers; shipped code may not.
const testConstraints = constraints.map((c) =>
  c.sourceTag === 'type:e2e' ? c : { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:tooling'] },
);

const boundaries = (depConstraints) => ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints }];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '.infra', 'tmp', 'coverage'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(constraints),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // A library's test/ folder holds helpers its integration tests share; it is not shipped.
    files: ['**/*.int-spec.ts', '**/*.e2e-spec.ts', 'libs/*/test/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(testConstraints) },
  },
];

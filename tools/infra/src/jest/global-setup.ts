import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'tsconfig-paths';
import { ROOT_DIR } from '../settings';

/** Brings the infrastructure up for the test run unless it already runs. */
export default async function globalSetup(): Promise<void> {
  // Jest's moduleNameMapper does not apply to global setup; path aliases need this.
  const { compilerOptions } = JSON.parse(readFileSync(join(ROOT_DIR, 'tsconfig.base.json'), 'utf8'));
  register({ baseUrl: ROOT_DIR, paths: compilerOptions.paths });
  const { infraUp } = await import('../infra');
  const { started } = await infraUp();
  const g = globalThis as { __infraStartedByTests?: boolean };
  g.__infraStartedByTests = g.__infraStartedByTests || started.length > 0;
}

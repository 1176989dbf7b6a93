import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'tsconfig-paths';
import { ROOT_DIR } from '../settings';
import type { InfraUpOptions } from '../infra';

/** Brings the infrastructure up for the test run unless it already runs. */
export async function bringInfraUp(opts: InfraUpOptions = {}): Promise<void> {
  // Jest's moduleNameMapper does not apply to global setup; path aliases need this.
  const { compilerOptions } = JSON.parse(readFileSync(join(ROOT_DIR, 'tsconfig.base.json'), 'utf8'));
  register({ baseUrl: ROOT_DIR, paths: compilerOptions.paths });
  const { infraUp } = await import('../infra');
  const { started } = await infraUp(opts);
  const g = globalThis as { __infraStartedByTests?: string[] };
  g.__infraStartedByTests = [...(g.__infraStartedByTests ?? []), ...started];
}

export default () => bringInfraUp();

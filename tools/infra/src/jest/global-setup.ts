import { infraUp } from '../infra';

/** Brings the infrastructure up for the test run unless it already runs. */
export default async function globalSetup(): Promise<void> {
  const { started } = await infraUp();
  const g = globalThis as { __infraStartedByTests?: boolean };
  g.__infraStartedByTests = g.__infraStartedByTests || started.length > 0;
}

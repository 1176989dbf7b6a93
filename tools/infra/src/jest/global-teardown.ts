import { infraDown } from '../infra';

/** Stops what the test run started; infrastructure that was already running is left alone. */
export default async function globalTeardown(): Promise<void> {
  const g = globalThis as { __infraStartedByTests?: boolean };
  if (g.__infraStartedByTests && !process.env.INFRA_KEEP) {
    g.__infraStartedByTests = false;
    await infraDown();
  }
}

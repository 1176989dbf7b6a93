import { z } from 'zod';

/**
 * Fault drills: `FAILPOINT=<name>` makes a service SIGKILL itself the first time it reaches
 * that point, as a crash would. Unset in normal runs; the names are listed per service.
 */
export const failpointSchema = <T extends readonly [string, ...string[]]>(names: T) => z.enum(names).optional();

export function failpoint(active: string | undefined, name: string): (() => void) | undefined {
  if (active !== name) return undefined;
  return () => {
    process.stderr.write(
      `${JSON.stringify({ level: 60, msg: 'failpoint reached: killing the process', failpoint: name })}\n`,
    );
    process.kill(process.pid, 'SIGKILL');
  };
}

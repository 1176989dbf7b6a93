/**
 * The next run of a batch: the leading messages, up to `size`, that `read` accepts. They
 * share one database transaction. A message `read` refuses ends the run; when it is the
 * first one, the run is empty and the caller handles that message on its own (which
 * dead-letters it with its cause).
 */
export function readableRun<M, R>(messages: readonly M[], start: number, size: number, read: (m: M) => R): R[] {
  const run: R[] = [];
  const end = Math.min(messages.length, start + Math.max(1, size));
  for (let i = start; i < end; i++) {
    try {
      run.push(read(messages[i]));
    } catch {
      break;
    }
  }
  return run;
}

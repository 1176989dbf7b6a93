/** A relay's pause between passes, which a wake-up or `stop()` cuts short. */
export class Sleeper {
  private interrupt?: () => void;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.interrupt = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.interrupt = done;
    });
  }

  wake(): void {
    this.interrupt?.();
  }
}

/** Sharded relays as processes of their own (test/shard-relay-process.ts), and what they report. */
import { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DataSource } from 'typeorm';
import { kafkaBrokers, spawnTs } from '@shop/infra';

export class ShardRelayProcess {
  /** The shards it leads, as last reported. */
  led: number[] = [];
  readonly logs: string[] = [];
  readonly exited: Promise<NodeJS.Signals | number | null>;
  private readonly child: ChildProcess;

  constructor(
    readonly shards: number,
    env: { PG_URL: string; TOPIC: string; NAME: string },
  ) {
    this.child = spawnTs(
      'libs/outbox/test/shard-relay-process.ts',
      { ...env, SHARDS: String(shards), KAFKA_BROKERS: kafkaBrokers().join(',') },
      ['ignore', 'pipe', 'inherit'],
    );
    const stdout = this.child.stdout;
    if (!stdout) throw new Error('the relay process has no stdout');
    createInterface({ input: stdout }).on('line', (line) => {
      const report = JSON.parse(line) as { led?: number[]; log?: string };
      if (report.led) this.led = report.led;
      if (report.log) this.logs.push(report.log);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(signal ?? code)));
  }

  /** SIGTERM: it steps down and exits; or SIGKILL: it dies with its sessions. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<NodeJS.Signals | number | null> {
    this.child.kill(signal);
    return this.exited;
  }
}

/**
 * Samples which shard counts have leaders (from pg_locks, one consistent reading each time)
 * every few milliseconds, until stopped; for the fence between shard counts.
 */
export class LeaderSampler {
  samples = 0;
  /** Readings in which leaders under two shard counts held their locks at once. */
  readonly overlaps: number[][] = [];
  /** Every shard count seen leading. */
  readonly countsSeen = new Set<number>();
  private running = true;
  private readonly loop: Promise<void>;

  constructor(ds: DataSource, name: string, counts: number[]) {
    this.loop = (async () => {
      while (this.running) {
        const rows: { n: number }[] = await ds.query(
          `SELECT DISTINCT c.n FROM unnest($2::int[]) c(n)
             CROSS JOIN LATERAL generate_series(0, c.n - 1) k
             JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = 7345
              AND l.objid = (hashtext(CASE WHEN c.n = 1 THEN $1 ELSE $1 || '/' || k || '-of-' || c.n END)
                             & 2147483647)::bigint::oid`,
          [name, counts],
        );
        this.samples += 1;
        const leading = rows.map((r) => r.n);
        for (const n of leading) this.countsSeen.add(n);
        if (leading.length > 1) this.overlaps.push(leading);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
  }

  stop(): Promise<void> {
    this.running = false;
    return this.loop;
  }
}

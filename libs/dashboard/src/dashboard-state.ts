import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Subject } from 'rxjs';
import { DashboardConfig } from './config';
import { DrillPort } from './drill-port';
import { Flow, Flows } from './flows';
import { GaugeReader, ServiceGauges } from './gauges';
import { DeadLetter, TopicWatch } from './topic-watch';
import { Upstream } from './upstream';

interface ParkedRow {
  service: 'order-service' | 'shipping-service';
  id: string;
  aggregateId: string;
  type: string;
  attempts: number;
  lastError: string | null;
  parkedAt: string;
}

/** What the page shows, pushed over SSE once a second. */
export interface Snapshot {
  at: string;
  broker: 'kafka' | 'rabbitmq';
  drills: boolean;
  gauges: ServiceGauges[];
  flows: Flow[];
  deadLetters: DeadLetter[] | null;
  parked: ParkedRow[];
}

const PARKED_EVERY_TICKS = 3;

/** Reads the system once a second (gauges, flows; parked rows every few) and publishes a snapshot. */
@Injectable()
export class DashboardState implements OnModuleDestroy {
  readonly flows: Flows;
  readonly updates = new Subject<Snapshot>();
  private readonly topics?: TopicWatch;
  private readonly gauges: GaugeReader;
  private latest?: Snapshot;
  private parked: ParkedRow[] = [];
  private timer?: NodeJS.Timeout;
  private ticks = 0;
  private stopped = false;
  private refreshing?: Promise<void>;
  private parkedReading?: Promise<void>;

  constructor(
    readonly config: DashboardConfig,
    readonly upstream: Upstream,
    readonly drills: DrillPort | undefined,
  ) {
    this.gauges = new GaugeReader(upstream);
    const topicHops = config.BROKER === 'kafka';
    this.flows = new Flows(upstream, { zipkinUiUrl: config.ZIPKIN_UI_URL, topicHops });
    if (topicHops) this.topics = new TopicWatch(config, this.flows);
  }

  /** Starts the ticks and the topic consumer; resolves once the consumer reads (or after `waitMs`). */
  async start(waitMs = 20_000): Promise<void> {
    const tick = async () => {
      await this.tick().catch(() => undefined);
      if (!this.stopped) this.timer = setTimeout(() => void tick(), 1000);
    };
    void tick();
    if (!this.topics) return;
    void this.topics.keepRunning();
    await Promise.race([this.topics.ready, new Promise((r) => setTimeout(r, waitMs).unref())]);
  }

  snapshot(): Snapshot | undefined {
    return this.latest;
  }

  async refreshParked(): Promise<void> {
    const lists = await Promise.all(
      (['order-service', 'shipping-service'] as const).map((service) =>
        this.upstream
          .get<Omit<ParkedRow, 'service'>[]>(service, '/outbox/parked?limit=50')
          .then((rows) => rows.map((r) => ({ ...r, service })))
          .catch(() => []),
      ),
    );
    this.parked = lists.flat();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.topics?.stop();
  }

  /** Publishes what is known now; slow reads (a frozen service) finish in the background and show next tick. */
  private async tick(): Promise<void> {
    this.refreshing ??= this.flows.refresh().finally(() => (this.refreshing = undefined));
    if (this.ticks++ % PARKED_EVERY_TICKS === 0)
      this.parkedReading ??= this.refreshParked().finally(() => (this.parkedReading = undefined));
    this.latest = {
      at: new Date().toISOString(),
      broker: this.config.BROKER,
      drills: this.drills !== undefined,
      gauges: this.gauges.read(),
      flows: this.flows.list(),
      deadLetters: this.topics ? this.topics.deadLetters : null,
      parked: this.parked,
    };
    this.updates.next(this.latest);
  }
}

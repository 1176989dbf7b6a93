import { Injectable, Module } from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { KafkaInboxServer } from './kafka-inbox.server';

/** Terminus indicator over the service's inbox consumers (`watch(server)` each one), for diagnostics. */
@Injectable()
export class InboxHealthIndicator {
  readonly key = 'inbox';
  private readonly servers: KafkaInboxServer[] = [];

  constructor(private readonly health: HealthIndicatorService) {}

  watch(server: KafkaInboxServer): void {
    this.servers.push(server);
  }

  async check() {
    const indicator = this.health.check(this.key);
    const results = await Promise.all(this.servers.map((s) => s.health()));
    const down = results.find((r) => !r.up);
    const details = { consumers: results };
    return down ? indicator.down(details) : indicator.up(details);
  }
}

@Module({ imports: [TerminusModule], providers: [InboxHealthIndicator], exports: [InboxHealthIndicator] })
export class InboxModule {}

import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { InboxHealth } from '../inbox';
import { installPgErrorListener } from '../pg-error-listener';

/** Terminus indicator over the service's inbox consumers (`watch(server)` each one), for diagnostics. */
@Injectable()
export class InboxHealthIndicator {
  readonly key = 'inbox';
  private readonly consumers: { health(): Promise<InboxHealth> }[] = [];

  constructor(private readonly health: HealthIndicatorService) {}

  /** An `InboxServer` or an `Inbox`. Each answers within its `lagTimeoutMs` (3 s), a frozen broker included. */
  watch(consumer: { health(): Promise<InboxHealth> }): void {
    this.consumers.push(consumer);
  }

  async check() {
    const indicator = this.health.check(this.key);
    const results = await Promise.all(this.consumers.map((c) => c.health()));
    const down = results.find((r) => !r.up);
    const details = { consumers: results };
    return down ? indicator.down(details) : indicator.up(details);
  }
}

/**
 * The health indicator, and at init the pg error listener on the default DataSource's
 * pool (a terminated session must not crash the process). An inbox on another DataSource
 * installs it on that one when it starts.
 */
@Module({ imports: [TerminusModule], providers: [InboxHealthIndicator], exports: [InboxHealthIndicator] })
export class InboxModule implements OnModuleInit {
  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    const dataSource = this.defaultDataSource();
    if (dataSource) installPgErrorListener(dataSource);
  }

  private defaultDataSource(): DataSource | undefined {
    try {
      return this.moduleRef.get(DataSource, { strict: false });
    } catch {
      return undefined; // no default DataSource in this app
    }
  }
}

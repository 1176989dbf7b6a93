import { DynamicModule, Module } from '@nestjs/common';
import { LoggingModule } from '@shop/service-kit';
import { ApiController } from './api.controller';
import type { DashboardConfig } from './config';
import { DashboardState } from './dashboard-state';
import { DrillPort } from './drill-port';
import { SessionGuard, Sessions } from './sessions';
import { Upstream } from './upstream';

@Module({})
export class DashboardModule {
  static forRoot(config: DashboardConfig, drills?: DrillPort, logLevel?: string): DynamicModule {
    const upstream = new Upstream(config);
    return {
      module: DashboardModule,
      imports: [LoggingModule.forRoot('dashboard', logLevel)],
      controllers: [ApiController],
      providers: [
        { provide: Sessions, useValue: new Sessions(config.SESSION_TTL_MINUTES * 60_000) },
        SessionGuard,
        { provide: DashboardState, useValue: new DashboardState(config, upstream, drills) },
      ],
    };
  }
}

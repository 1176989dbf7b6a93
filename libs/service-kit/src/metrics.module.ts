import { Controller, Get, Header, Module, OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';

@Controller('metrics')
class MetricsController {
  /** Prometheus text format: process metrics plus whatever the service's libraries registered. */
  @Get()
  @Header('content-type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}

@Module({ controllers: [MetricsController] })
export class MetricsModule implements OnModuleInit {
  private static defaultsCollected = false;

  onModuleInit() {
    if (MetricsModule.defaultsCollected) return;
    MetricsModule.defaultsCollected = true;
    collectDefaultMetrics();
  }
}

export { loadConfig, ConfigError, envSchemas } from './load-config';
export { HealthModule } from './health.module';
export type { HealthIndicatorLike } from './health.module';
export { MetricsModule } from './metrics.module';
export { KafkaHealthIndicator } from './kafka-health.indicator';
export { ZodValidationPipe } from './zod-validation.pipe';
export { postgresOptions } from './postgres-options';
export type { DatabaseConfig } from './postgres-options';
export { runService } from './run-service';

import { INestApplication } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { ConfigError } from './load-config';

/**
 * The whole of a service's main.ts: validate the configuration, build the app, start its
 * transports and HTTP listener. A configuration error prints the variables at fault and
 * exits with 1, without a stack trace.
 */
export function runService<C extends { HOST: string; PORT: number }>(
  name: string,
  loadConfig: () => C,
  createApp: (config: C) => Promise<INestApplication>,
): void {
  const start = async () => {
    const config = loadConfig();
    const app = await createApp(config);
    await app.startAllMicroservices();
    await app.listen(config.PORT, config.HOST);
    app.get(Logger).log({ msg: `${name} listening`, port: config.PORT });
  };
  start().catch((err: unknown) => {
    if (err instanceof ConfigError) console.error(`${name}: ${err.message}`);
    else
      console.error(
        JSON.stringify({
          level: 'fatal',
          service: name,
          msg: 'failed to start',
          error: err instanceof Error ? err.message : String(err),
        }),
      );
    process.exit(1);
  });
}

import { ArgumentsHost, Catch, Controller, ExceptionFilter, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { queryAsAdmin, readTopic, readWholeTopic, waitFor } from '@shop/infra';
import request from 'supertest';
import { deadLetterTopicFor } from '../index';
import { EffectsHandler, EffectsModule, handlerControl } from '../../test/effects-handler';
import { envelope, inboxFixture } from '../../test/inbox-fixture';
import { connectInbox } from './connect-inbox';
import { InboxServer } from './inbox-server';

/**
 * Handlers carry no exception filter. Nest's default one would turn a database outage into
 * "Internal server error", and the inbox would spend the message's attempts on it.
 */
describe('InboxServer without a filter on the handlers (real PostgreSQL and Kafka)', () => {
  // One attempt: a failure counted against the message would dead-letter it at once.
  const f = inboxFixture('inbox-nofilter-it');

  /** Refuses new sessions to the test database and ends its open ones (the handler's too) for `ms`. */
  const takeDatabaseAway = async (ms: number) => {
    await queryAsAdmin('postgres', `ALTER DATABASE "${f.db.name}" ALLOW_CONNECTIONS false`);
    await queryAsAdmin('postgres', 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
      f.db.name,
    ]);
    setTimeout(() => void queryAsAdmin('postgres', `ALTER DATABASE "${f.db.name}" ALLOW_CONNECTIONS true`), ms);
  };

  /** The database goes away while the handler of `n` runs, once; counts the handler's runs. */
  const outageDuring = (n: number) => {
    const runs = { count: 0 };
    handlerControl.beforeEffect = async (seen) => {
      if (seen !== n || runs.count++ > 0) return;
      await takeDatabaseAway(2_000);
    };
    return runs;
  };

  const expectHandledOnceAndNothingDeadLettered = async (
    server: InboxServer,
    topic: string,
    id: string,
    runs: { count: number },
  ) => {
    await waitFor('handled once the database is back', async () => server.stats.processed === 1, 60_000);
    expect(runs.count).toBeGreaterThanOrEqual(2); // the first run failed with the database gone
    expect(await f.effectsOf(id)).toHaveLength(1);
    expect(server.stats).toEqual({ processed: 1, duplicates: 0, deadLettered: 0 });
    expect(await readWholeTopic(deadLetterTopicFor(topic))).toEqual([]);
  };

  afterEach(() => queryAsAdmin('postgres', `ALTER DATABASE "${f.db.name}" ALLOW_CONNECTIONS true`));

  it('waits out a database that goes away mid-handler, then handles the message; nothing dead-lettered', async () => {
    const topic = await f.newTopic();
    const server = await f.startConsumer(topic, { maxAttempts: 1 });
    const e = envelope(1);
    const runs = outageDuring(1);
    await f.send(topic, JSON.stringify(e));
    await expectHandledOnceAndNothingDeadLettered(server, topic, e.id, runs);
  }, 90_000);

  it("does so even when connected by hand, behind Nest's default filter", async () => {
    const topic = await f.newTopic();
    const server = f.server(topic, { maxAttempts: 1 });
    const app = await NestFactory.createMicroservice(EffectsModule, { strategy: server, logger: false });
    await app.listen();
    try {
      const e = envelope(2);
      const runs = outageDuring(2);
      await f.send(topic, JSON.stringify(e));
      await expectHandledOnceAndNothingDeadLettered(server, topic, e.id, runs);
    } finally {
      await app.close();
    }
  }, 90_000);

  describe('connected to an HTTP app with connectInbox', () => {
    const httpFilterSaw: string[] = [];

    /** As a service's global HTTP filter would: it must see HTTP errors, and no inbox error. */
    @Catch()
    class TeapotFilter implements ExceptionFilter {
      catch(exception: unknown, host: ArgumentsHost) {
        httpFilterSaw.push(host.getType());
        host.switchToHttp().getResponse().status(418).send({ teapot: true });
      }
    }

    @Controller('boom')
    class BoomController {
      @Get()
      boom() {
        throw new Error('boom');
      }
    }

    @Module({ controllers: [EffectsHandler, BoomController] })
    class HybridModule {}

    let app: NestFastifyApplication | undefined;
    afterEach(() => app?.close());

    it("puts the handler's real error in dlt-error, and leaves the app's HTTP filter to HTTP", async () => {
      const topic = await f.newTopic();
      app = await NestFactory.create<NestFastifyApplication>(HybridModule, new FastifyAdapter(), { logger: false });
      app.useGlobalFilters(new TeapotFilter());
      const server = f.server(topic, { maxAttempts: 2 });
      connectInbox(app, server);
      await app.startAllMicroservices();
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
      handlerControl.alwaysFailFor = 3;
      const reader = await readTopic(deadLetterTopicFor(topic));
      try {
        await f.send(topic, JSON.stringify(envelope(3)));
        const [dead] = await reader.waitFor(1);
        expect(dead.headers?.['dlt-error']?.toString()).toBe('handler refuses n=3');
        expect(dead.headers?.['dlt-attempts']?.toString()).toBe('2');
      } finally {
        await reader.stop();
      }
      await request(app.getHttpServer()).get('/boom').expect(418);
      expect(httpFilterSaw).toEqual(['http']);
    });
  });
});

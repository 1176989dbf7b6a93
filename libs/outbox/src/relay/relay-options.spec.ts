import { silentLogger } from '../logger';
import { relaySettings } from './relay-options';

describe('relaySettings', () => {
  it.each([
    ['name', 'outbox'],
    ['notifyChannel', 'outbox'],
    ['shards', 1],
    ['batchSize', 500],
    ['pollIntervalMs', 1000],
    ['standbyRetryMs', 2000],
    ['leaderStaleAfterMs', 30_000],
    ['retryBackoffMs', 250],
    ['maxRetryBackoffMs', 30_000],
    ['maxAttempts', 10],
    ['retentionSeconds', 300],
    ['retentionIntervalMs', 10_000],
    ['retentionBatchSize', 5000],
    ['vacuumAfterRetention', true],
    ['logger', silentLogger],
  ])('defaults %s to %p', (key, value) => {
    expect(relaySettings()[key as keyof ReturnType<typeof relaySettings>]).toBe(value);
  });

  it("defaults the table to public.outbox and the topic to Debezium's", () => {
    const { topicFor, table, ...rest } = relaySettings();
    expect(topicFor('order')).toBe('outbox.event.order');
    expect(table).toEqual({ schema: 'public', table: 'outbox', qualified: '"public"."outbox"', channel: 'outbox' });
    expect(Object.keys(rest)).toHaveLength(15); // each default above
  });

  it('takes an option given as undefined as its default, and keeps the ones given', () => {
    const settings = relaySettings({ batchSize: undefined, pollIntervalMs: 20, notifyChannel: '' });
    expect(settings).toMatchObject({ batchSize: 500, pollIntervalMs: 20, notifyChannel: '' });
  });

  it('names the leader election and the channel after another table, so two tables do not share them', () => {
    const settings = relaySettings({ schema: 'sales', table: 'order_events' });
    expect(settings).toMatchObject({ name: 'sales.order_events', notifyChannel: 'sales.order_events' });
    expect(settings.table.qualified).toBe('"sales"."order_events"');
    expect(relaySettings({ table: 'order_events', name: 'orders' })).toMatchObject({
      name: 'orders',
      notifyChannel: 'public.order_events',
    });
  });

  it.each([
    [{ batchSize: 0 }, /batchSize must be a whole number of at least 1/],
    [{ maxAttempts: 1.5 }, /maxAttempts must be a whole number/],
    [{ pollIntervalMs: -1 }, /pollIntervalMs must be a number of at least 0/],
    [{ retentionSeconds: Number.NaN }, /retentionSeconds must be a number/],
    [{ retryBackoffMs: 500, maxRetryBackoffMs: 100 }, /maxRetryBackoffMs must be at least retryBackoffMs/],
    [{ name: '' }, /name must not be empty/],
    [{ shards: 0 }, /shards must be a whole number from 1 to 256/],
    [{ shards: 257 }, /shards must be a whole number from 1 to 256/],
    [{ shards: 2.5 }, /shards must be a whole number from 1 to 256/],
    [{ shards: Number.NaN }, /shards must be a whole number from 1 to 256/],
    [{ table: '' }, /table name must be 1 to 63 bytes/],
    [{ schema: 's'.repeat(64) }, /schema name must be 1 to 63 bytes/],
    [{ schema: 's'.repeat(40), table: 't'.repeat(40) }, /NOTIFY channel is over 63 bytes/],
  ])('refuses %j', (options, message) => {
    expect(() => relaySettings(options)).toThrow(message);
  });

  it.each([1, 4, 256])('accepts %d shards', (shards) => {
    expect(relaySettings({ shards }).shards).toBe(shards);
  });

  it('accepts a long table name with a channel of its own', () => {
    expect(relaySettings({ schema: 's'.repeat(40), table: 't'.repeat(40), notifyChannel: 'short' }).notifyChannel).toBe(
      'short',
    );
  });
});

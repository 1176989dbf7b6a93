import { z } from 'zod';
import { loadConfig } from './load-config';
import { relayModeSchema, relayShardsRule, relayShardsSchema } from './relay-mode';

const schema = z
  .object({ RELAY_MODE: relayModeSchema, OUTBOX_RELAY_SHARDS: relayShardsSchema })
  .refine(...relayShardsRule);

describe('OUTBOX_RELAY_SHARDS', () => {
  it('defaults to 1 and takes a whole number from 1 to 256 with the polling relay', () => {
    expect(loadConfig(schema, {})).toEqual({ RELAY_MODE: 'polling', OUTBOX_RELAY_SHARDS: 1 });
    expect(loadConfig(schema, { OUTBOX_RELAY_SHARDS: '256' }).OUTBOX_RELAY_SHARDS).toBe(256);
  });

  it.each(['0', '257', '2.5', 'four'])('refuses %p, naming the setting', (value) => {
    expect(() => loadConfig(schema, { OUTBOX_RELAY_SHARDS: value })).toThrow(/OUTBOX_RELAY_SHARDS/);
  });

  it.each(['logical', 'debezium'])(
    'refuses more than 1 with RELAY_MODE=%s: only the polling relay is sharded',
    (mode) => {
      expect(() => loadConfig(schema, { RELAY_MODE: mode, OUTBOX_RELAY_SHARDS: '2' })).toThrow(
        'OUTBOX_RELAY_SHARDS: must be 1 unless RELAY_MODE=polling',
      );
      expect(loadConfig(schema, { RELAY_MODE: mode, OUTBOX_RELAY_SHARDS: '1' }).OUTBOX_RELAY_SHARDS).toBe(1);
    },
  );
});

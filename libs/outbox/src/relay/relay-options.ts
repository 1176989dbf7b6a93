import { OutboxLogger, silentLogger } from '../logger';
import { OutboxMetricsSink } from '../metrics';
import { PendingRow } from '../outbox-sql';
import { notifyChannelFor, OutboxTable, outboxTable, OutboxTableOptions } from '../outbox-table';
import { MAX_SHARDS } from './shards';

/** Points where tests and fault drills stop the relay (e.g. SIGKILL between publish and mark). */
export interface OutboxRelayHooks {
  afterClaim?(rows: readonly PendingRow[]): void | Promise<void>;
  afterPublish?(rows: readonly PendingRow[]): void | Promise<void>;
}

export interface OutboxRelayOptions extends OutboxTableOptions {
  /** Relays with the same name elect one leader among them. Default: the table's (`outbox` for public.outbox). */
  name?: string;
  /** Maps an aggregate type to its destination. Default: Debezium's `outbox.event.<aggregateType>`. */
  topicFor?: (aggregateType: string) => string;
  /**
   * Shards the outbox is split into, each led by one relay: a row belongs to shard
   * shardOf(aggregateId, shards). Relay processes of one name share the shards. Whole number
   * from 1 to 256; default 1 (one leader relays everything). The log-based relay takes only 1.
   */
  shards?: number;
  /** Rows claimed and published per batch. Default 500. */
  batchSize?: number;
  /** Fallback poll when no wake-up arrives. Default 1000 ms. */
  pollIntervalMs?: number;
  /** LISTEN channel for wake-ups from other processes; empty string turns it off. Default: the table's. */
  notifyChannel?: string;
  /** How often a standby tries to become leader. Default 2000 ms. */
  standbyRetryMs?: number;
  /** A leader silent this long is taken as stuck and its session ended. Default 30 s. */
  leaderStaleAfterMs?: number;
  /** First back-off after a failure; doubles per failure, with jitter. Default 250 ms. */
  retryBackoffMs?: number;
  /** Ceiling of that back-off. Default 30 s. */
  maxRetryBackoffMs?: number;
  /** Attempts after which a row the broker keeps refusing is parked. Default 10. */
  maxAttempts?: number;
  /** Published rows older than this are deleted. Default 300 s. */
  retentionSeconds?: number;
  /** How often retention runs. Default 10 s. */
  retentionIntervalMs?: number;
  /** Rows deleted per statement; at most 10 statements per run. Default 5000. */
  retentionBatchSize?: number;
  /** VACUUM the table after a retention run that deleted rows. Default true. */
  vacuumAfterRetention?: boolean;
  logger?: OutboxLogger;
  metrics?: OutboxMetricsSink;
  hooks?: OutboxRelayHooks;
}

type Tunables = Required<Omit<OutboxRelayOptions, keyof OutboxTableOptions | 'metrics' | 'hooks'>>;

export interface RelaySettings extends Tunables {
  table: OutboxTable;
  metrics?: OutboxMetricsSink;
  hooks?: OutboxRelayHooks;
}

const WHOLE_AT_LEAST_ONE = ['batchSize', 'maxAttempts', 'retentionBatchSize'] as const;
const AT_LEAST_ZERO = [
  'pollIntervalMs',
  'standbyRetryMs',
  'leaderStaleAfterMs',
  'retryBackoffMs',
  'maxRetryBackoffMs',
  'retentionSeconds',
  'retentionIntervalMs',
] as const;

/** The options with their defaults; an option given as `undefined` takes its default too. */
export function relaySettings(options: OutboxRelayOptions = {}): RelaySettings {
  const table = outboxTable(options);
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const settings: RelaySettings = {
    name: table.channel,
    topicFor: (aggregateType) => `outbox.event.${aggregateType}`,
    shards: 1,
    batchSize: 500,
    pollIntervalMs: 1000,
    standbyRetryMs: 2000,
    leaderStaleAfterMs: 30_000,
    retryBackoffMs: 250,
    maxRetryBackoffMs: 30_000,
    maxAttempts: 10,
    retentionSeconds: 300,
    retentionIntervalMs: 10_000,
    retentionBatchSize: 5000,
    vacuumAfterRetention: true,
    logger: silentLogger,
    ...given,
    notifyChannel: notifyChannelFor(table, options.notifyChannel),
    table,
  };
  for (const key of WHOLE_AT_LEAST_ONE)
    if (!Number.isInteger(settings[key]) || settings[key] < 1)
      throw new RangeError(`outbox relay: ${key} must be a whole number of at least 1`);
  for (const key of AT_LEAST_ZERO)
    if (!Number.isFinite(settings[key]) || settings[key] < 0)
      throw new RangeError(`outbox relay: ${key} must be a number of at least 0`);
  if (!Number.isInteger(settings.shards) || settings.shards < 1 || settings.shards > MAX_SHARDS)
    throw new RangeError(`outbox relay: shards must be a whole number from 1 to ${MAX_SHARDS}`);
  if (settings.maxRetryBackoffMs < settings.retryBackoffMs)
    throw new RangeError('outbox relay: maxRetryBackoffMs must be at least retryBackoffMs');
  if (!settings.name) throw new RangeError('outbox relay: name must not be empty');
  return settings;
}

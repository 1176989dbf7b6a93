import { createHash } from 'node:crypto';

/** The most shards a relay name may be split into (the admission check looks at every count up to it). */
export const MAX_SHARDS = 256;

/**
 * The shard an aggregate's rows belong to among `shardCount`: the first 32 bits of the MD5
 * of its id (UTF-8), as an unsigned number, modulo `shardCount`. The relay computes the same
 * in SQL when it claims (`shardSql`): `('x' || left(md5(aggregateid), 8))::bit(32)::bigint % N`
 * (md5 hashes the text in the database's encoding, UTF-8 here).
 */
export function shardOf(aggregateId: string, shardCount: number): number {
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > MAX_SHARDS)
    throw new RangeError(`shardOf: shardCount must be a whole number from 1 to ${MAX_SHARDS}`);
  return createHash('md5').update(aggregateId, 'utf8').digest().readUInt32BE(0) % shardCount;
}

/** One shard of a relay name: `index` of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The whole outbox: what a relay without shards relays. */
export const ALL: Shard = Object.freeze({ index: 0, count: 1 });

/**
 * The claim's filter for `shard`, on the outbox row `o`; empty for a single shard, so that
 * its statements stay as they were. The numbers are validated integers, inlined.
 */
export function shardSql(shard: Shard, row = 'o'): string {
  if (shard.count === 1) return '';
  return ` AND ('x' || left(md5(${row}.aggregateid), 8))::bit(32)::bigint % ${shard.count} = ${shard.index}`;
}

/**
 * The name of a shard's leader lock: the relay's name alone for a single shard, so that a
 * relay without shards and one of an earlier version elect their leader with the same lock.
 */
export function leaderLockName(name: string, shard: Shard): string {
  return shard.count === 1 ? name : `${name}/${shard.index}-of-${shard.count}`;
}

import { EventEmitter } from 'node:events';
import { DataSource } from 'typeorm';
import { installPgErrorListener } from './pg-error-listener';

const dataSource = (pool: EventEmitter | undefined, type = 'postgres') =>
  ({ options: { type }, driver: { master: pool } }) as unknown as DataSource;

describe('installPgErrorListener', () => {
  it('gives every client the pool connects or hands out an error listener, once', () => {
    const pool = new EventEmitter();
    installPgErrorListener(dataSource(pool));
    installPgErrorListener(dataSource(pool)); // a second module or inbox on the same pool
    const fresh = new EventEmitter();
    const pooled = new EventEmitter();
    pool.emit('connect', fresh);
    pool.emit('acquire', fresh);
    pool.emit('acquire', pooled);
    // Without a listener, EventEmitter throws an 'error' event: the process would end.
    expect(() => fresh.emit('error', new Error('terminating connection due to administrator command'))).not.toThrow();
    expect(() => pooled.emit('error', new Error('Connection terminated unexpectedly'))).not.toThrow();
    expect([fresh.listenerCount('error'), pooled.listenerCount('error')]).toEqual([1, 1]);
  });

  it('leaves DataSources that are not PostgreSQL or not initialised alone', () => {
    const pool = new EventEmitter();
    installPgErrorListener(dataSource(pool, 'mysql'));
    expect(pool.listenerCount('connect')).toBe(0);
    expect(() => installPgErrorListener(dataSource(undefined))).not.toThrow();
  });
});

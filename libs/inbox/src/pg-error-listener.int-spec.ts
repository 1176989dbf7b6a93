import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { adminConnection, createTestDatabase, sleep } from '@shop/infra';
import { installPgErrorListener } from './pg-error-listener';

describe('installPgErrorListener (real PostgreSQL)', () => {
  it('keeps the process alive while its sessions are terminated mid-transaction', async () => {
    const db = await createTestDatabase('pg_listener_it');
    const ds = new DataSource({ type: 'postgres', ...db.options, extra: { max: 10 } });
    await ds.initialize();
    installPgErrorListener(ds);
    const admin = new Client(adminConnection(db.name));
    await admin.connect();
    try {
      await ds.query('CREATE TABLE writes (id serial PRIMARY KEY)');
      let stopped = false;
      const outcome = { committed: 0, failed: 0 };
      // Transactions with a pause between statements, as a handler has: sessions die while
      // a statement runs and while the client waits for the next.
      const writer = async () => {
        while (!stopped) {
          await ds
            .transaction(async (manager) => {
              await manager.query('INSERT INTO writes DEFAULT VALUES');
              await sleep(Math.random() * 3);
              await manager.query('SELECT count(*) FROM writes');
            })
            .then(
              () => (outcome.committed += 1),
              () => (outcome.failed += 1),
            );
        }
      };
      const writers = Array.from({ length: 10 }, writer);
      let terminated = 0;
      for (let i = 0; i < 120; i++) {
        const { rowCount } = await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [db.name],
        );
        terminated += rowCount ?? 0;
        await sleep(20 + Math.random() * 30);
      }
      stopped = true;
      await Promise.all(writers);

      expect(terminated).toBeGreaterThan(100);
      expect(outcome.failed).toBeGreaterThan(0);
      // The pool replaced the dropped connections: every acknowledged write is there, and a
      // failed one only where the session died after its COMMIT and before the answer.
      const [{ n }] = await ds.query('SELECT count(*)::int AS n FROM writes');
      expect(n).toBeGreaterThanOrEqual(outcome.committed);
      expect(n).toBeLessThanOrEqual(outcome.committed + outcome.failed);
    } finally {
      await admin.end();
      await ds.destroy();
      await db.drop();
    }
  });
});

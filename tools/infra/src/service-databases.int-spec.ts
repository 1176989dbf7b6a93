import { Client } from 'pg';
import { serviceDatabases, settings } from './settings';

/** Each service's role logs in to its own database and to no other. */
describe('service databases', () => {
  const login = async (role: string, password: string, database: string) => {
    const client = new Client({ host: settings.host, port: settings.postgres.port, user: role, password, database });
    try {
      await client.connect();
      return (await client.query('SELECT current_user AS who')).rows[0].who as string;
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  it.each(serviceDatabases.map((d) => [d.role, d.database, d.password] as const))(
    '%s logs in to %s and is refused every other service database',
    async (role, own, password) => {
      await expect(login(role, password, own)).resolves.toBe(role);
      for (const other of serviceDatabases.filter((d) => d.database !== own)) {
        await expect(login(role, password, other.database)).rejects.toMatchObject({
          code: '42501', // insufficient_privilege
          message: expect.stringContaining(`permission denied for database "${other.database}"`),
        });
      }
    },
  );
});

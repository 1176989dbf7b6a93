import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR } from './settings';

/**
 * The compose connectors (infra/debezium/outbox-*.json, registered over REST) and the native
 * ones (rendered from outbox-connector.properties) must say the same; only the address, the
 * password's source and the converters (worker-level in native mode) differ.
 */
const dir = join(ROOT_DIR, 'infra/debezium');
const properties = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

describe.each([
  ['outbox-orders', 'orders', 'debezium_orders'],
  ['outbox-shipping', 'shipping', 'debezium_shipping'],
])('the compose connector %s', (name, database, slot) => {
  const json: Record<string, string> = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
  // `name` is the connector's name in the REST path, not part of its configuration
  const native = properties(readFileSync(join(dir, 'outbox-connector.properties'), 'utf8'));
  delete native.name;

  it('has the native template’s settings, with the compose network’s address', () => {
    const expected = Object.fromEntries(
      Object.entries(native).map(([key, value]) => [
        key,
        value
          .replace('@HOST@', 'postgres')
          .replace('@PG_PORT@', '5432')
          .replace('@DATABASE@', database)
          .replace('@SLOT@', slot)
          .replace('@SNAPSHOT_MODE@', 'initial')
          .replace('@DEBEZIUM_DB_PASSWORD@', '${env:DEBEZIUM_DB_PASSWORD}'),
      ]),
    );
    const worker = properties(readFileSync(join(dir, 'worker.properties'), 'utf8'));
    expect(json).toEqual({
      ...expected,
      'key.converter': worker['key.converter'],
      'value.converter': worker['value.converter'],
    });
  });
});

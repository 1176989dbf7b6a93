import { renderConfig } from './native-kafka';
import { KafkaNode, settings } from './settings';

const node = (id: number, port: number): KafkaNode => ({
  id,
  port,
  controllerPort: port + 1,
  proxiedPort: port + 2,
  proxyPort: port + 3,
});
const propertiesOf = (text: string) => {
  const lines = text.split('\n').filter((l) => /^[a-z]/.test(l));
  const keys = lines.map((l) => l.slice(0, l.indexOf('=')));
  return { keys, get: (key: string) => lines.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1) };
};

describe('the native broker configuration', () => {
  it('single broker: node 1 its own only voter, SCRAM on every listener, replication factor 1', () => {
    const conf = propertiesOf(renderConfig(node(1, 29092), [node(1, 29092)], '/data/1'));
    expect(conf.get('node.id')).toBe('1');
    expect(conf.get('controller.quorum.voters')).toBe('1@127.0.0.1:29093');
    expect(conf.get('listeners')).toContain('CLIENT://127.0.0.1:29092');
    expect(conf.get('sasl.mechanism.controller.protocol')).toBe('SCRAM-SHA-512');
    expect([conf.get('default.replication.factor'), conf.get('min.insync.replicas')]).toEqual(['1', '1']);
  });

  it('cluster: each node its own id, ports and data, all three voters, RF 3 and min.insync.replicas 2', () => {
    const nodes = [node(1, 29092), node(2, 29100), node(3, 29110)];
    const text = renderConfig(nodes[1], nodes, '/data/2');
    const conf = propertiesOf(text);
    expect(text).not.toMatch(/@[A-Z_]+@/);
    expect(new Set(conf.keys).size).toBe(conf.keys.length); // overridden in place, not repeated
    expect(conf.get('node.id')).toBe('2');
    expect(conf.get('log.dirs')).toBe('/data/2');
    expect(conf.get('controller.quorum.voters')).toBe('1@127.0.0.1:29093,2@127.0.0.1:29101,3@127.0.0.1:29111');
    expect(conf.get('listeners')).toBe(
      'CLIENT://127.0.0.1:29100,CONTROLLER://127.0.0.1:29101,PROXIED://127.0.0.1:29102',
    );
    expect(conf.get('advertised.listeners')).toContain('PROXIED://127.0.0.1:29103');
    expect(conf.get('sasl.mechanism.controller.protocol')).toBe('PLAIN');
    expect(conf.get('listener.name.controller.plain.sasl.jaas.config')).toContain(
      `user_admin="${settings.kafka.users.admin}"`,
    );
    expect(conf.get('super.users')).toBe('User:admin');
    expect(conf.get('allow.everyone.if.no.acl.found')).toBe('false');
    for (const key of [
      'default.replication.factor',
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
    ])
      expect([key, conf.get(key)]).toEqual([key, '3']);
    for (const key of ['min.insync.replicas', 'transaction.state.log.min.isr'])
      expect([key, conf.get(key)]).toEqual([key, '2']);
  });
});

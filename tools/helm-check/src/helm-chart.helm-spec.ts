import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { CHART_DIR, ensureHelmJars, helmLint, helmTemplate } from './helm';
import { validateManifests } from './validate-manifests';

// deploy/helm/outbox-shop rendered by Helm itself (helm-java), every manifest validated against
// the Kubernetes schemas (kubernetes-models). The first run fetches helm-java with Maven.
jest.setTimeout(120_000);

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- rendered YAML, asserted field by field
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

const production = join(CHART_DIR, 'examples', 'production.yaml');
const defaultSecrets: string[] = Object.values(
  parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')).secrets.values as Record<string, string>,
).filter(Boolean);

// One JVM per render (a few seconds each): each values case is rendered once.
const renders = new Map<string, string>();
function renderYaml(values: string[]): string {
  const key = values.join('\n');
  if (!renders.has(key)) {
    const result = helmTemplate(values);
    if (!result.ok) throw new Error(`helm template failed: ${result.error}`);
    renders.set(key, result.output);
  }
  return renders.get(key) as string;
}
const render = (values: string[]): Manifest[] =>
  parseAllDocuments(renderYaml(values))
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);

const ofKind = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind);
const deployment = (manifests: Manifest[], app: string) =>
  ofKind(manifests, 'Deployment').find((d) => d.metadata.name === `shop-${app}`) as Manifest;
const container = (d: Manifest) => d.spec.template.spec.containers[0];
const env = (d: Manifest): Record<string, EnvVar> =>
  Object.fromEntries((container(d).env as EnvVar[]).map((e) => [e.name, e]));

let tmp: string;
beforeAll(() => {
  ensureHelmJars();
  tmp = mkdtempSync(join(tmpdir(), 'helm-chart-'));
}, 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('lints clean in strict mode', () => {
  const lint = helmLint();
  expect(lint.error).toBe('');
  expect(lint.ok).toBe(true);
});

describe.each([
  ['default values', [] as string[]],
  ['production-like values (examples/production.yaml)', [production]],
])('rendered with %s', (_, values) => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = render(values);
  });

  it('validates every manifest against the Kubernetes schemas', () => {
    const results = validateManifests(renderYaml(values));
    expect(results.length).toBe(manifests.length);
    expect(results.filter((r) => r.errors.length > 0)).toEqual([]);
  });

  it('has a Deployment, a Service and a PodDisruptionBudget per service', () => {
    for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget'])
      expect(ofKind(manifests, kind).map((m) => m.metadata.name)).toEqual([
        'shop-order-service',
        'shop-shipping-service',
        'shop-email-service',
      ]);
  });

  it('probes /health/ready for readiness (no broker check) and /health/live for liveness and start-up', () => {
    for (const d of ofKind(manifests, 'Deployment')) {
      const c = container(d);
      expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(c.readinessProbe.exec).toBeUndefined();
      expect(c.livenessProbe.httpGet.path).toBe('/health/live');
      expect(c.startupProbe.httpGet.path).toBe('/health/live');
    }
  });

  it('reads every password and the operator token from a Secret, never a value in a Deployment', () => {
    for (const d of ofKind(manifests, 'Deployment')) {
      const vars = env(d);
      for (const name of ['DB_PASSWORD', 'KAFKA_SASL_PASSWORD', 'OPERATOR_TOKEN']) {
        expect(vars[name].value).toBeUndefined();
        expect(vars[name].valueFrom?.secretKeyRef?.key).toMatch(/^[A-Z_]+$/);
      }
      const text = JSON.stringify(d);
      for (const secret of defaultSecrets) expect(text).not.toContain(secret);
    }
  });

  it('sets requests and limits, runs as non-root, read-only, without privilege escalation', () => {
    for (const d of ofKind(manifests, 'Deployment')) {
      const c = container(d);
      expect(c.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.resources.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(d.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    }
  });

  it('gives each service its own database user and Kafka user', () => {
    const users = ['order', 'shipping', 'email'].map((app) => {
      const vars = env(deployment(manifests, `${app}-service`));
      return [vars.DB_USER.value, vars.KAFKA_SASL_USERNAME.value, vars.DB_PASSWORD.valueFrom?.secretKeyRef?.key];
    });
    expect(users).toEqual([
      ['order_service', 'order-service', 'ORDER_DB_PASSWORD'],
      ['shipping_service', 'shipping-service', 'SHIPPING_DB_PASSWORD'],
      ['email_service', 'email-service', 'EMAIL_DB_PASSWORD'],
    ]);
  });
});

describe('the values', () => {
  it('defaults: one replica, one relay shard, the chart creates the Secret, no ServiceMonitor', () => {
    const manifests = render([]);
    expect(ofKind(manifests, 'Deployment').map((d) => d.spec.replicas)).toEqual([1, 1, 1]);
    expect(env(deployment(manifests, 'order-service')).OUTBOX_RELAY_SHARDS.value).toBe('1');
    const [secret] = ofKind(manifests, 'Secret') as unknown as { stringData: Record<string, string> }[];
    expect(Object.keys(secret.stringData)).toContain('OPERATOR_TOKEN');
    expect(ofKind(manifests, 'ServiceMonitor')).toEqual([]);
  });

  it('production-like: three replicas, four shards for the relays, external TLS, an existing Secret', () => {
    const manifests = render([production]);
    expect(ofKind(manifests, 'Deployment').map((d) => d.spec.replicas)).toEqual([3, 3, 3]);
    const [order, shipping, email] = ['order', 'shipping', 'email'].map((a) =>
      env(deployment(manifests, `${a}-service`)),
    );
    expect([order.OUTBOX_RELAY_SHARDS.value, shipping.OUTBOX_RELAY_SHARDS.value]).toEqual(['4', '4']);
    expect(email.OUTBOX_RELAY_SHARDS).toBeUndefined(); // email-service has no outbox
    expect(ofKind(manifests, 'Secret')).toEqual([]);
    expect(order.OPERATOR_TOKEN.valueFrom?.secretKeyRef?.name).toBe('outbox-shop-credentials');
    expect(order.KAFKA_BROKERS.value).toBe('my-cluster-kafka-bootstrap:9093');
    expect(order.KAFKA_SSL.value).toBe('true');
    expect(order.PGSSLMODE.value).toBe('verify-full');
    expect(order.DB_HOST.value).toBe('pg-orders.databases.svc.cluster.local');
    expect(shipping.DB_HOST.value).toBe('pg.databases.svc.cluster.local');
    expect(email.SMTP_PASSWORD.valueFrom?.secretKeyRef?.key).toBe('SMTP_PASSWORD');
    expect(ofKind(manifests, 'PodDisruptionBudget').map((p) => p.spec)).toEqual(
      Array(3).fill(expect.objectContaining({ minAvailable: 2 })),
    );
    expect(ofKind(manifests, 'ServiceMonitor').map((s) => s.spec.endpoints[0].path)).toEqual(Array(3).fill('/metrics'));
  });
});

describe('what must fail', () => {
  it('a broken manifest fails validation naming the field', () => {
    const manifests = render([]);
    const broken = deployment(manifests, 'order-service');
    broken.spec.replicas = 'three';
    delete container(broken).name;
    const [result] = validateManifests(stringify(broken));
    expect(result).toMatchObject({ kind: 'Deployment', name: 'shop-order-service' });
    expect(result.errors).toEqual(
      expect.arrayContaining([
        { path: '/spec/replicas', message: 'must be integer' },
        { path: '/spec/template/spec/containers/0/name', message: 'must have required property name' },
      ]),
    );
  });

  it('a kind without a schema fails validation rather than passing unchecked', () => {
    const [result] = validateManifests('apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\n');
    expect(result.errors).toEqual([{ path: '', message: 'no schema for apiVersion example.com/v1, kind Widget' }]);
  });

  it.each([
    ['relay.shards: 0', 'relay: { shards: 0 }', "at '/relay/shards': minimum: got 0, want 1"],
    ['relay.shards: 257', 'relay: { shards: 257 }', "at '/relay/shards': maximum: got 257, want 256"],
    ['a short operator token', 'secrets: { values: { OPERATOR_TOKEN: short } }', "at '/secrets/values/OPERATOR_TOKEN'"],
    [
      'smtp.user without its password',
      'smtp: { user: shop }',
      "at '/secrets/values/SMTP_PASSWORD': minLength: got 0, want 1",
    ],
  ])('values with %s fail helm template through values.schema.json', (_, values, message) => {
    const file = join(tmp, 'bad-values.yaml');
    writeFileSync(file, values);
    const result = helmTemplate([file]);
    expect(result.ok).toBe(false);
    expect(result.error).toContain(message);
    expect(result.output).toBe('');
  });
});

// Validates rendered Kubernetes manifests (multi-document YAML on stdin) against the API's
// OpenAPI schemas, each by its kind's model in kubernetes-models (ServiceMonitor: the
// prometheus-operator models). Prints one JSON array: [{ kind, name, errors: [{ path, message }] }].
// An ES module of its own: kubernetes-models 5 is published for `import` only, which the
// project's CommonJS code (and Jest) cannot do; helm.ts runs this with node.
import { parseAllDocuments } from 'yaml';

/** apiVersion → the package and folder holding its models. */
function modelModule(apiVersion, kind) {
  if (apiVersion === 'monitoring.coreos.com/v1')
    return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${kind}`;
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion)) return undefined;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

async function validate(manifest) {
  const { apiVersion, kind } = manifest;
  const name = manifest.metadata?.name ?? '(no name)';
  const specifier = typeof apiVersion === 'string' && typeof kind === 'string' && modelModule(apiVersion, kind);
  let Model;
  try {
    Model = specifier && (await import(specifier))[kind];
  } catch {
    Model = undefined;
  }
  if (!Model)
    return { kind, name, errors: [{ path: '', message: `no schema for apiVersion ${apiVersion}, kind ${kind}` }] };
  try {
    new Model(manifest).validate();
    return { kind, name, errors: [] };
  } catch (err) {
    const errors = (err.errors ?? [{ instancePath: '', message: err.message }]).map((e) => ({
      path: e.params?.missingProperty ? `${e.instancePath}/${e.params.missingProperty}` : e.instancePath,
      message: e.message,
    }));
    return { kind, name, errors };
  }
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const doc of parseAllDocuments(input)) {
  if (doc.errors.length) {
    results.push({ kind: '(YAML)', name: '', errors: doc.errors.map((e) => ({ path: '', message: e.message })) });
    continue;
  }
  const manifest = doc.toJS();
  if (manifest !== null) results.push(await validate(manifest));
}
console.log(JSON.stringify(results));

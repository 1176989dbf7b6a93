import { parseAllDocuments } from 'yaml';

export interface ManifestErrors {
  kind: string;
  name: string;
  /** path: the JSON pointer of the field at fault, e.g. /spec/replicas. */
  errors: { path: string; message: string }[];
}

interface Model {
  new (manifest: unknown): { validate(): void };
}

interface SchemaError {
  instancePath: string;
  message?: string;
  params?: { missingProperty?: string };
}

/** apiVersion and kind → the module holding the kind's model (ServiceMonitor: the prometheus-operator models). */
function modelModule(apiVersion: string, kind: string): string | undefined {
  if (apiVersion === 'monitoring.coreos.com/v1')
    return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${kind}`;
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind)) return undefined;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

function loadModel(apiVersion: unknown, kind: unknown): Model | undefined {
  const specifier = typeof apiVersion === 'string' && typeof kind === 'string' && modelModule(apiVersion, kind);
  if (!specifier) return undefined;
  try {
    // The module is chosen by the manifest's kind, so it cannot be a static import.
    return (require(specifier) as Record<string, Model>)[kind as string];
  } catch {
    return undefined;
  }
}

function validate(manifest: { apiVersion?: unknown; kind?: unknown; metadata?: { name?: string } }): ManifestErrors {
  const { apiVersion, kind } = manifest;
  const name = manifest.metadata?.name ?? '(no name)';
  const Model = loadModel(apiVersion, kind);
  if (!Model)
    return {
      kind: String(kind),
      name,
      errors: [{ path: '', message: `no schema for apiVersion ${String(apiVersion)}, kind ${String(kind)}` }],
    };
  try {
    new Model(manifest).validate();
    return { kind: String(kind), name, errors: [] };
  } catch (err) {
    const found = (err as { errors?: SchemaError[] }).errors ?? [{ instancePath: '', message: (err as Error).message }];
    const errors = found.map((e) => ({
      path: e.params?.missingProperty ? `${e.instancePath}/${e.params.missingProperty}` : e.instancePath,
      message: e.message ?? 'invalid',
    }));
    return { kind: String(kind), name, errors };
  }
}

/** Each manifest of a multi-document YAML validated against its kind's Kubernetes OpenAPI schema. */
export function validateManifests(yaml: string): ManifestErrors[] {
  const results: ManifestErrors[] = [];
  for (const doc of parseAllDocuments(yaml)) {
    if (doc.errors.length) {
      results.push({ kind: '(YAML)', name: '', errors: doc.errors.map((e) => ({ path: '', message: e.message })) });
      continue;
    }
    const manifest = doc.toJS() as Parameters<typeof validate>[0] | null;
    if (manifest !== null) results.push(validate(manifest));
  }
  return results;
}

// npm run helm:check: lints deploy/helm/outbox-shop, renders it with its defaults and with
// each values file in its examples/, and validates every rendered manifest against the
// Kubernetes schemas. No cluster and no helm binary: Helm runs embedded (infra/helm).
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CHART_DIR, helmLint, helmTemplate } from './helm';
import { validateManifests } from './validate-manifests';

function main(): number {
  let failures = 0;
  const lint = helmLint();
  console.log(`helm lint: ${lint.ok ? 'ok' : 'FAILED'}`);
  for (const line of [lint.output.trim(), lint.error].filter(Boolean)) console.log(`  ${line.replace(/\n/g, '\n  ')}`);
  if (!lint.ok) failures++;

  const examples = join(CHART_DIR, 'examples');
  const cases = [
    [],
    ...readdirSync(examples)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => [join(examples, f)]),
  ];
  for (const values of cases) {
    const name = values.length ? relative(process.cwd(), values[0]) : 'default values';
    const rendered = helmTemplate(values);
    if (!rendered.ok) {
      console.log(`helm template (${name}): FAILED\n  ${rendered.error}`);
      failures++;
      continue;
    }
    const results = validateManifests(rendered.output);
    const invalid = results.filter((r) => r.errors.length > 0);
    console.log(`helm template (${name}): ${results.length} manifests, ${invalid.length} invalid`);
    for (const r of invalid)
      for (const e of r.errors) console.log(`  ${r.kind} ${r.name}: ${e.path || '(manifest)'} ${e.message}`);
    failures += invalid.length;
  }
  return failures === 0 ? 0 : 1;
}

process.exitCode = main();

/**
 * Finds the executable steps of a markdown page. A step is a ```bash block preceded by a
 * marker comment; what its output must contain follows the block:
 *
 *   <!-- step -->                                  run it; it must exit 0
 *   <!-- step: background, ready <url> -->         start it (a second terminal); wait until <url> answers 2xx
 *                                                  and its output matches the expectations below it
 *   <!-- step: interrupt -->                       Ctrl-C in that second terminal (no code block)
 *   <!-- step: timeout 300 -->                     a longer limit than the default
 *   <!-- expect: <regex> -->                       after the block: the output must match (multiline)
 *   <!-- no-step: <why> -->                        a ```bash block that is deliberately not run
 *
 * A ```bash block with neither marker is an error, so no shell step can be left unchecked.
 */
export interface TutorialStep {
  file: string;
  /** 1-based line of the marker. */
  line: number;
  kind: 'run' | 'background' | 'interrupt';
  command: string;
  expect: RegExp[];
  readyUrl?: string;
  timeoutSeconds: number;
}

export interface ParsedPage {
  steps: TutorialStep[];
  skipped: { file: string; line: number; reason: string }[];
  errors: string[];
}

const MARKER = /^<!--\s*(step|no-step|expect)(?::\s*(.*?))?\s*-->\s*$/;
const DEFAULT_TIMEOUT_SECONDS = 240;

export function parseTutorialPage(file: string, markdown: string): ParsedPage {
  const lines = markdown.split('\n');
  const page: ParsedPage = { steps: [], skipped: [], errors: [] };
  let pending: { line: number; options: string } | undefined;
  let noStep: { line: number; reason: string } | undefined;
  let last: TutorialStep | undefined;
  const where = (i: number) => `${file}:${i + 1}`;

  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].trim();
    const marker = MARKER.exec(text);
    if (marker) {
      const [, kind, rest = ''] = marker;
      if (kind === 'expect') {
        if (!last) page.errors.push(`${where(i)}: expect without a step before it`);
        else if (!rest) page.errors.push(`${where(i)}: expect needs a regular expression`);
        else {
          try {
            last.expect.push(new RegExp(rest, 'm'));
          } catch (err) {
            page.errors.push(`${where(i)}: bad regular expression: ${(err as Error).message}`);
          }
        }
      } else if (kind === 'no-step') {
        if (!rest) page.errors.push(`${where(i)}: no-step needs a reason`);
        noStep = { line: i, reason: rest };
      } else if (/^interrupt$/.test(rest)) {
        last = { file, line: i + 1, kind: 'interrupt', command: '', expect: [], timeoutSeconds: 60 };
        page.steps.push(last);
      } else {
        pending = { line: i, options: rest };
      }
      continue;
    }
    const fence = /^(`{3,})(\S*)/.exec(text);
    if (!fence) continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === fence[1]);
    if (end < 0) {
      page.errors.push(`${where(i)}: code block never closed`);
      break;
    }
    const body = lines.slice(i + 1, end).join('\n');
    if (fence[2] === 'bash' || fence[2] === 'sh' || fence[2] === 'shell') {
      if (pending) {
        const step = toStep(file, pending, body, page.errors);
        if (step) page.steps.push(step);
        last = step;
      } else if (noStep) {
        page.skipped.push({ file, line: noStep.line + 1, reason: noStep.reason });
      } else {
        page.errors.push(`${where(i)}: a shell block without <!-- step --> or <!-- no-step: why -->`);
      }
    } else if (pending) {
      page.errors.push(`${where(pending.line)}: step marker not followed by a bash block`);
    }
    pending = undefined;
    noStep = undefined;
    i = end;
  }
  if (pending) page.errors.push(`${where(pending.line)}: step marker not followed by a bash block`);
  return page;
}

function toStep(
  file: string,
  marker: { line: number; options: string },
  command: string,
  errors: string[],
): TutorialStep | undefined {
  const step: TutorialStep = {
    file,
    line: marker.line + 1,
    kind: 'run',
    command,
    expect: [],
    timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
  };
  for (const option of marker.options
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)) {
    const [name, value] = option.split(/\s+/, 2);
    if (name === 'background') step.kind = 'background';
    else if (name === 'ready' && value) step.readyUrl = value;
    else if (name === 'timeout' && Number(value) > 0) step.timeoutSeconds = Number(value);
    else {
      errors.push(`${file}:${marker.line + 1}: unknown step option "${option}"`);
      return undefined;
    }
  }
  if (step.kind === 'background' && !step.readyUrl) {
    errors.push(`${file}:${marker.line + 1}: a background step needs "ready <url>"`);
    return undefined;
  }
  return step;
}

/**
 * The tutorial shows the default ports; a run beside another copy of the project uses
 * other ones (INFRA_*_PORT). Maps each documented default to the port in effect.
 */
export function localizePorts(text: string, ports: Record<number, number>): string {
  return text.replace(/\b(127\.0\.0\.1|localhost):(\d{2,5})\b/g, (all, host: string, port: string) =>
    ports[Number(port)] === undefined ? all : `${host}:${ports[Number(port)]}`,
  );
}

/**
 * `npm run docs:check`: runs every marked shell step of docs/tutorial/*.md in order, as a
 * reader would, and checks each one's output (markers: see tutorial-steps.ts). CI runs it,
 * so a step that stops working fails the build. Each step's output is shown as it runs;
 * a failure names the step, its command and its output, and stops what the run started.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { infraDown, infraStatus, logDir, ROOT_DIR, servicePort, settings, sleep } from '@shop/infra';
import { localizePorts, parseTutorialPage, TutorialStep } from './tutorial-steps';

const TUTORIAL_DIR = join(ROOT_DIR, 'docs', 'tutorial');

/** The documented defaults (README, tutorial) and the ports this run actually uses. */
const ports: Record<number, number> = {
  3001: servicePort('order-service'),
  3002: servicePort('shipping-service'),
  3003: servicePort('email-service'),
  8025: settings.smtp.apiPort,
  1025: settings.smtp.port,
  55432: settings.postgres.port,
  29092: settings.kafka.port,
  3000: settings.dashboard.port,
  9411: settings.zipkin.port,
  5682: settings.rabbitmq.port,
  // The app that chapter 8 builds.
  3010: settings.servicePortBase + 9,
};

class StepFailed extends Error {}

interface Background {
  step: TutorialStep;
  child: ChildProcess;
  exited: Promise<void>;
  logFile: string;
}

const backgrounds: Background[] = [];
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const say = (line: string) => console.log(`[docs:check] ${line}`);

async function main(): Promise<number> {
  const t0 = Date.now();
  // `npm run docs:check -- 04 10` runs only those chapters (each assumes the ones before ran once).
  const only = process.argv.slice(2);
  const files = readdirSync(TUTORIAL_DIR)
    .filter((f) => /^\d\d-.+\.md$/.test(f) && (only.length === 0 || only.some((n) => f.startsWith(n))))
    .sort();
  const pages = files.map((f) =>
    parseTutorialPage(relative(ROOT_DIR, join(TUTORIAL_DIR, f)), readFileSync(join(TUTORIAL_DIR, f), 'utf8')),
  );
  const errors = pages.flatMap((p) => p.errors);
  if (errors.length > 0) {
    for (const e of errors) console.error(`[docs:check] ${e}`);
    return 1;
  }
  const steps = pages.flatMap((p) => p.steps);
  const skipped = pages.flatMap((p) => p.skipped);
  say(`${steps.length} steps in ${files.length} chapters (${skipped.length} shell blocks marked no-step)`);

  // Background steps run in their own process groups: stop them if this run is stopped.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void interruptBackgrounds().then(() => process.exit(1)));
  const before = await infraStatus();
  const infraWasUp = before.postgres && before.kafka && before.smtp;
  try {
    for (const [i, step] of steps.entries()) {
      const label = `(${i + 1}/${steps.length}) ${step.file}:${step.line}`;
      const started = Date.now();
      say(`${label}  ${step.kind === 'interrupt' ? 'Ctrl-C in the second terminal' : firstLine(step.command)}`);
      if (step.kind === 'interrupt') await interruptBackgrounds();
      else if (step.kind === 'background') await startBackground(step);
      else await runStep(step);
      say(`${label}  ok in ${seconds(Date.now() - started)}`);
    }
  } catch (err) {
    if (!(err instanceof StepFailed)) throw err;
    console.error(`\n[docs:check] FAILED ${err.message}`);
    await interruptBackgrounds();
    if (!infraWasUp) await infraDown().catch(() => undefined);
    return 1;
  }
  await interruptBackgrounds();
  for (const s of skipped) say(`not run: ${s.file}:${s.line} (${s.reason})`);
  say(`passed: ${steps.length} steps in ${files.length} chapters in ${seconds(Date.now() - t0)}`);
  return 0;
}

function firstLine(command: string): string {
  const lines = command.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  return lines.length > 1 ? `${lines[0]} … (+${lines.length - 1} lines)` : (lines[0] ?? '');
}

function shell(command: string, stdio: 'pipe' | ['ignore', number, number]): ChildProcess {
  // Its own process group, so that a timeout or Ctrl-C reaches everything it started.
  return spawn('bash', ['-eo', 'pipefail', '-c', localizePorts(command, ports)], {
    cwd: ROOT_DIR,
    // OPERATOR_TOKEN: what the reader exported in chapter 1, the token the services run with.
    env: { ...process.env, OPERATOR_TOKEN: settings.operatorToken, FORCE_COLOR: '0', NO_COLOR: '1' },
    stdio: stdio === 'pipe' ? ['ignore', 'pipe', 'pipe'] : stdio,
    detached: true,
  });
}

function failure(step: TutorialStep, why: string, output: string): StepFailed {
  const tail = output.trimEnd().split('\n').slice(-60).join('\n');
  return new StepFailed(
    `${step.file}:${step.line}: ${why}\n--- command\n${localizePorts(step.command, ports)}\n--- output (last 60 lines)\n${tail}`,
  );
}

async function runStep(step: TutorialStep): Promise<void> {
  const child = shell(step.command, 'pipe');
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    process.stdout.write(
      chunk
        .toString()
        .split(/(?<=\n)/)
        .map((l) => `    │ ${l}`)
        .join(''),
    );
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child, 'SIGKILL');
  }, step.timeoutSeconds * 1000);
  // 'close', not 'exit': all of the output has been read by then.
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  if (output && !output.endsWith('\n')) process.stdout.write('\n'); // e.g. curl's JSON
  if (timedOut) throw failure(step, `timed out after ${step.timeoutSeconds}s`, output);
  if (code !== 0) throw failure(step, `exited with ${code}`, output);
  const missing = step.expect.filter((re) => !re.test(output));
  if (missing.length > 0) throw failure(step, `output did not match ${missing.map(String).join(', ')}`, output);
}

async function startBackground(step: TutorialStep): Promise<void> {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `docs-check-${step.file.replace(/\W+/g, '_')}-${step.line}.log`);
  const log = openSync(logFile, 'w');
  const child = shell(step.command, ['ignore', log, log]);
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  backgrounds.push({ step, child, exited, logFile });
  say(`  running in the background, output in ${relative(ROOT_DIR, logFile)}`);
  const url = localizePorts(step.readyUrl as string, ports);
  const deadline = Date.now() + step.timeoutSeconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw failure(step, `exited with ${child.exitCode} before ${url} answered`, readLog(logFile));
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    // Ready once the URL answers and the terminal shows everything expected.
    if (ok && step.expect.every((re) => re.test(readLog(logFile)))) return;
    await sleep(500);
  }
  const missing = step.expect.filter((re) => !re.test(readLog(logFile)));
  const also = missing.length > 0 ? ` or the output did not match ${missing.map(String).join(', ')}` : '';
  throw failure(step, `${url} did not answer${also} within ${step.timeoutSeconds}s`, readLog(logFile));
}

const readLog = (file: string) => readFileSync(file, 'utf8');

/** What a reader's Ctrl-C does: SIGINT to the process group, then wait for it to wind down. */
async function interruptBackgrounds(): Promise<void> {
  for (const bg of backgrounds.splice(0)) {
    killGroup(bg.child, 'SIGINT');
    const done = await Promise.race([bg.exited.then(() => true), sleep(60_000).then(() => false)]);
    if (!done) {
      killGroup(bg.child, 'SIGKILL');
      await bg.exited;
    }
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[docs:check] ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);

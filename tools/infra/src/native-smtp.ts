import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA_DIR, ROOT_DIR, settings } from './settings';
import { portOpen, spawnDetached, stopProcess, waitFor } from './process-utils';

const base = join(INFRA_DIR, 'mail');
const pidFile = join(base, 'smtp-sink.pid');
export const smtpLog = join(base, 'smtp-sink.log');
export const mailStore = join(base, 'messages.jsonl');

export const smtpRunning = async () => (await portOpen(settings.smtp.port)) && (await portOpen(settings.smtp.apiPort));

export async function startNativeSmtp(): Promise<void> {
  if (await smtpRunning()) return;
  mkdirSync(base, { recursive: true });
  const script = join(ROOT_DIR, 'tools/infra/src/smtp-sink.ts');
  spawnDetached(
    process.execPath,
    [
      '-r',
      '@swc-node/register',
      script,
      String(settings.smtp.port),
      String(settings.smtp.apiPort),
      settings.host,
      mailStore,
    ],
    { log: smtpLog, pid: pidFile },
    { cwd: ROOT_DIR, env: { ...process.env, SWC_NODE_PROJECT: join(ROOT_DIR, 'tsconfig.base.json') } },
  );
  await waitFor('SMTP sink', smtpRunning, 30_000, smtpLog);
}

export const stopNativeSmtp = () => stopProcess(pidFile);

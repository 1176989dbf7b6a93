import { mailApiUrl } from './settings';

/** The fields of Mailpit's message summary that tests and drills read; the native sink serves them too. */
export interface MailMessage {
  ID: string;
  MessageID: string;
  To: { Address: string }[];
  Subject: string;
}

/**
 * Every message in the mail sink, newest first, in either mode. The list is paged (50 by
 * default, in Mailpit and the native sink alike), so this asks for all of it.
 */
export async function readMailbox(): Promise<{ total: number; messages: MailMessage[] }> {
  const res = await fetch(`${mailApiUrl()}/api/v1/messages?limit=1000000`);
  if (!res.ok) throw new Error(`GET ${mailApiUrl()}/api/v1/messages → ${res.status}`);
  return (await res.json()) as { total: number; messages: MailMessage[] };
}

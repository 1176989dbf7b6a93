import { ChannelModel, connect, Options } from 'amqplib';

/** Missing two heartbeats closes the connection, so a frozen node does not hold a consumer for good. */
const DEFAULT_HEARTBEAT_SECONDS = 5;
const CONNECT_TIMEOUT_MS = 10_000;

export type AmqpUrl = string | Options.Connect;

/**
 * A connection whose loss never crashes the process: `onLost` runs once, on the first error or
 * close, and the caller reconnects.
 */
export async function openConnection(url: AmqpUrl, onLost: () => void = () => undefined): Promise<ChannelModel> {
  const connection = await connect(withHeartbeat(url), { timeout: CONNECT_TIMEOUT_MS });
  let lost = false;
  const lose = () => {
    if (lost) return;
    lost = true;
    onLost();
  };
  connection.on('error', lose);
  connection.on('close', lose);
  return connection;
}

function withHeartbeat(url: AmqpUrl): AmqpUrl {
  if (typeof url !== 'string') return { heartbeat: DEFAULT_HEARTBEAT_SECONDS, ...url };
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(DEFAULT_HEARTBEAT_SECONDS));
  return parsed.toString();
}

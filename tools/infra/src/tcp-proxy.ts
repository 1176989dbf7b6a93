import { createConnection, createServer, Server, Socket } from 'node:net';

export type ProxyMode = 'pass' | 'blackhole';

/**
 * A TCP proxy for fault tests, between clients and the broker's proxied listener (which
 * advertises the proxy's port, so clients never bypass it). It can cut every connection,
 * hold traffic as a network partition does (bytes wait, nothing is lost or reordered, so
 * the peers see silence and time out), and add latency in each direction.
 */
export class TcpProxy {
  private server?: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private mode: ProxyMode = 'pass';
  private latencyMs = 0;

  constructor(
    readonly listenPort: number,
    private readonly target: { host: string; port: number },
    private readonly host = '127.0.0.1',
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.listenPort, this.host, resolve);
    });
  }

  async stop(): Promise<void> {
    this.closeConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Holds all traffic, on open and new connections alike, until `pass()`. */
  blackhole(): void {
    this.mode = 'blackhole';
    for (const pair of this.pairs) pair.forEach((s) => s.pause());
  }

  pass(): void {
    this.mode = 'pass';
    for (const pair of this.pairs) pair.forEach((s) => s.resume());
  }

  /** Delay added to every chunk, in each direction. */
  latency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Resets every open connection, as a crashed middlebox would. */
  closeConnections(): void {
    for (const pair of this.pairs) pair.forEach((s) => s.destroy());
    this.pairs.clear();
  }

  get connections(): number {
    return this.pairs.size;
  }

  private accept(client: Socket): void {
    const upstream = createConnection(this.target);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    for (const s of pair) s.on('error', close).on('close', close);
    this.forward(client, upstream);
    this.forward(upstream, client);
    if (this.mode === 'blackhole') pair.forEach((s) => s.pause());
  }

  private forward(from: Socket, to: Socket): void {
    // Timers with equal delays fire in order, so delayed chunks keep their order.
    from.on('data', (chunk) => {
      if (this.latencyMs === 0) to.write(chunk);
      else setTimeout(() => to.writable && to.write(chunk), this.latencyMs);
    });
  }
}

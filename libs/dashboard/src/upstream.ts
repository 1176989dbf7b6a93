import { BadGatewayException } from '@nestjs/common';
import { DashboardConfig } from './config';

export type ServiceName = 'order-service' | 'shipping-service' | 'email-service';
export const serviceNames: ServiceName[] = ['order-service', 'shipping-service', 'email-service'];

/** A service refused or failed a call: the page gets a 502 naming the call (never its body). */
export class UpstreamError extends BadGatewayException {
  constructor(
    readonly upstreamStatus: number,
    what: string,
  ) {
    super(`${what} answered ${upstreamStatus}`);
  }
}

/** The three services' HTTP APIs, called as the operator (the token stays on the server). */
export class Upstream {
  private readonly urls: Record<ServiceName, string>;

  constructor(private readonly config: DashboardConfig) {
    this.urls = {
      'order-service': config.ORDER_SERVICE_URL,
      'shipping-service': config.SHIPPING_SERVICE_URL,
      'email-service': config.EMAIL_SERVICE_URL,
    };
  }

  async get<T>(service: ServiceName, path: string): Promise<T> {
    return (await this.call(service, 'GET', path)).json() as Promise<T>;
  }

  async post<T>(service: ServiceName, path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
    return (await this.call(service, 'POST', path, body, headers)).json() as Promise<T>;
  }

  /** A service's /metrics text, or null when it does not answer. */
  async metrics(service: ServiceName): Promise<string | null> {
    try {
      // Long enough for a consumer-lag gauge that asks a broker which is down (a few seconds).
      const res = await fetch(`${this.urls[service]}/metrics`, { signal: AbortSignal.timeout(10_000) });
      return res.ok ? await res.text() : null;
    } catch {
      return null;
    }
  }

  private async call(service: ServiceName, method: string, path: string, body?: unknown, headers = {}) {
    const res = await fetch(`${this.urls[service]}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.config.OPERATOR_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    }).catch(() => {
      throw new UpstreamError(0, `${service} ${method} ${path.split('?')[0]} (not reachable)`);
    });
    if (!res.ok) throw new UpstreamError(res.status, `${service} ${method} ${path.split('?')[0]}`);
    return res;
  }
}

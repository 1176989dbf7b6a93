import { startService } from '@shop/infra';

/**
 * SIGTERM while clients keep sending on keep-alive connections: the service must still stop.
 * Every order it answered 201 is stored; a request cut by the shutdown is refused, not lost.
 */
describe('shutdown under load', () => {
  it('order-service stops on SIGTERM within 5 s while requests keep arriving', async () => {
    const service = await startService('order-service');
    let sending = true;
    const answered: number[] = [];
    // fetch (undici) keeps its connections alive, so the server never sees them idle.
    const client = async () => {
      while (sending) {
        const res = await fetch(`${service.url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            customerId: 'shutdown',
            contactEmail: 'shutdown@example.com',
            items: [{ sku: 'S-1', quantity: 1, unitPriceCents: 1 }],
            shippingAddress: { line1: 'Main 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
          }),
        }).catch(() => undefined);
        if (res) answered.push(res.status);
        else await new Promise((r) => setTimeout(r, 50)); // refused: the listener is closed
      }
    };
    const clients = Array.from({ length: 4 }, client);
    await new Promise((r) => setTimeout(r, 2_000));
    const t0 = Date.now();
    process.kill(service.process.pid as number, 'SIGTERM');
    const end = await Promise.race([service.exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);
    console.log(`stopped in ${Date.now() - t0} ms under load`);
    sending = false;
    await Promise.all(clients);
    if (end === 'still running') await service.stop('SIGKILL');
    expect(end).toBe('SIGTERM'); // NestJS re-raises the signal once it has closed
    // Well before the 10 s after which the server cuts connections: they were drained.
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(answered.filter((s) => s === 201).length).toBeGreaterThan(0);
  }, 60_000);
});

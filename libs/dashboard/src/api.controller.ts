import {
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
  Sse,
  UseGuards,
  UnauthorizedException,
} from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { concat, EMPTY, map, Observable, of, takeWhile } from 'rxjs';
import { z } from 'zod';
import { tokensMatch, ZodValidationPipe } from '@shop/service-kit';
import { DashboardState, Snapshot } from './dashboard-state';
import { demoOrder } from './demo-orders';
import { drillNames } from './drill-port';
import { SessionGuard, Sessions, sessionOf } from './sessions';

const loginSchema = z.strictObject({ token: z.string().min(1).max(512) });
const placeSchema = z.strictObject({ count: z.number().int().min(1).max(50).default(1) }).prefault({});
const drillSchema = z.strictObject({ seconds: z.number().int().min(1).max(60).default(10) }).prefault({});
const requeueSchema = z.strictObject({
  service: z.enum(['order-service', 'shipping-service']),
  ids: z.array(z.uuid()).min(1).max(1000).optional(),
});
const uuid = z.uuid();

/** The page's API: login, the live snapshot (SSE), and the operator's actions. */
@Controller('api')
export class ApiController {
  constructor(
    private readonly sessions: Sessions,
    private readonly state: DashboardState,
  ) {}

  /** The token is compared in constant time, and answered with a session cookie: it goes nowhere else. */
  @Post('login')
  @HttpCode(204)
  login(
    @Body(new ZodValidationPipe(loginSchema)) body: z.infer<typeof loginSchema>,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    if (!tokensMatch(body.token, this.state.config.OPERATOR_TOKEN))
      throw new UnauthorizedException('the operator token is not valid');
    res.header('set-cookie', this.sessions.cookie(this.sessions.open()));
  }

  @Post('logout')
  @HttpCode(204)
  logout(@Req() req: FastifyRequest, @Res({ passthrough: true }) res: FastifyReply) {
    this.sessions.close(sessionOf(req));
    res.header('set-cookie', this.sessions.cookie());
  }

  /** Whether this browser is logged in: the page asks before it shows anything (no 401 to log). */
  @Get('session')
  session(@Req() req: FastifyRequest) {
    return { loggedIn: this.sessions.valid(sessionOf(req)) };
  }

  @Get('state')
  @UseGuards(SessionGuard)
  snapshot(): Snapshot | Record<string, never> {
    return this.state.snapshot() ?? {};
  }

  @Sse('events')
  @UseGuards(SessionGuard)
  events(@Req() req: FastifyRequest): Observable<{ data: Snapshot }> {
    const session = sessionOf(req);
    const now = this.state.snapshot();
    // The stream ends with its session (logout, expiry); the page then shows the login.
    return concat(now ? of(now) : EMPTY, this.state.updates).pipe(
      takeWhile(() => this.sessions.valid(session)),
      map((data) => ({ data })),
    );
  }

  /** One order, or a burst of up to 50, of invented data; answers with their ids. */
  @Post('orders')
  @UseGuards(SessionGuard)
  async place(@Body(new ZodValidationPipe(placeSchema)) body: z.infer<typeof placeSchema>) {
    const ids: string[] = [];
    for (let n = 0; n < body.count; n++) {
      const order = await this.state.upstream.post<{ id: string }>('order-service', '/orders', demoOrder(n), {
        'x-correlation-id': `dashboard-${Date.now()}-${n}`,
      });
      this.state.flows.track(order.id);
      ids.push(order.id);
    }
    return { ids };
  }

  @Post('orders/:id/dispatch')
  @UseGuards(SessionGuard)
  @HttpCode(200)
  async dispatch(@Param('id', new ZodValidationPipe(uuid)) id: string) {
    const [shipment] = await this.state.upstream.get<{ id: string }[]>('shipping-service', `/shipments?orderId=${id}`);
    if (!shipment) throw new NotFoundException(`order ${id} has no shipment yet`);
    return this.state.upstream.post('shipping-service', `/shipments/${shipment.id}/dispatch`, { carrier: 'DHL' });
  }

  @Post('parked/requeue')
  @UseGuards(SessionGuard)
  @HttpCode(200)
  async requeue(@Body(new ZodValidationPipe(requeueSchema)) body: z.infer<typeof requeueSchema>) {
    const result = await this.state.upstream.post(
      body.service,
      '/outbox/parked/requeue',
      body.ids ? { ids: body.ids } : {},
    );
    await this.state.refreshParked();
    return result;
  }

  /** Only when the dashboard runs inside the local demo (a DrillPort was given); 404 otherwise. */
  @Post('drills/:name')
  @UseGuards(SessionGuard)
  @HttpCode(202)
  async drill(
    @Param('name') name: string,
    @Body(new ZodValidationPipe(drillSchema)) body: z.infer<typeof drillSchema>,
  ) {
    const drills = this.state.drills;
    if (!drills || !(drillNames as readonly string[]).includes(name)) throw new NotFoundException(`no drill ${name}`);
    const run = {
      'kill-broker': () => drills.killBroker(),
      'start-broker': () => drills.startBroker(),
      'kill-relay': () => drills.killRelay(),
      'pause-consumer': () => drills.pauseConsumer(body.seconds),
    }[name as (typeof drillNames)[number]];
    await run();
    return { drill: name };
  }
}

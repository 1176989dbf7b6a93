import { DynamicModule, Module } from '@nestjs/common';
import { EmailServiceConfig } from '../config';
import { EmailDispatcher } from './delivery/email-dispatcher';
import { EmailQueue } from './delivery/email-queue';
import { EmailMetrics } from './email-metrics';
import { createMailTransport, MAIL_TRANSPORT } from './delivery/mail-transport';
import { EMAIL_CONFIG } from './emails.tokens';
import { ListEmailsHttpController } from './list-emails/list-emails.http.controller';
import { OrderCancelledEventHandler } from './send-cancellation-notice/order-cancelled.event-handler';
import { OrderPlacedEventHandler } from './send-order-confirmation/order-placed.event-handler';
import { ShipmentDispatchedEventHandler } from './send-shipped-notice/shipment-dispatched.event-handler';

@Module({})
export class EmailsModule {
  static forRoot(config: EmailServiceConfig): DynamicModule {
    return {
      module: EmailsModule,
      controllers: [
        OrderPlacedEventHandler,
        ShipmentDispatchedEventHandler,
        OrderCancelledEventHandler,
        ListEmailsHttpController,
      ],
      providers: [
        { provide: EMAIL_CONFIG, useValue: config },
        { provide: MAIL_TRANSPORT, useFactory: () => createMailTransport(config) },
        EmailDispatcher,
        EmailQueue,
        EmailMetrics,
      ],
    };
  }
}

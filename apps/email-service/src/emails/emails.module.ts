import { DynamicModule, Module } from '@nestjs/common';
import { EmailServiceConfig } from '../config';
import { EmailDispatcher } from './delivery/email-dispatcher';
import { createMailTransport, MAIL_TRANSPORT } from './delivery/mail-transport';
import { EMAIL_CONFIG } from './emails.tokens';
import { ListEmailsHttpController } from './list-emails/list-emails.http.controller';
import { OrderPlacedEventHandler } from './send-order-confirmation/order-placed.event-handler';

@Module({})
export class EmailsModule {
  static forRoot(config: EmailServiceConfig): DynamicModule {
    return {
      module: EmailsModule,
      controllers: [OrderPlacedEventHandler, ListEmailsHttpController],
      providers: [
        { provide: EMAIL_CONFIG, useValue: config },
        { provide: MAIL_TRANSPORT, useFactory: () => createMailTransport(config) },
        EmailDispatcher,
      ],
    };
  }
}

import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CreateInboxTable1764000000001 } from '@transactional-outbox/inbox';
import { InboxHealthIndicator, InboxModule } from '@transactional-outbox/inbox/nest';
import { HealthModule, LoggingModule, MetricsModule, OperatorAuthModule, postgresOptions } from '@shop/service-kit';
import { EmailServiceConfig } from './config';
import { CreateOutgoingEmails1764000000300 } from './migrations/1764000000300-create-outgoing-emails';
import { AddSendLease1764000000301 } from './migrations/1764000000301-add-send-lease';
import { ShippedNoticeWaitsForContact1764000000302 } from './migrations/1764000000302-shipped-notice-waits-for-contact';
import { AddEmailTraceparent1764000000303 } from './migrations/1764000000303-add-email-traceparent';
import { OrderContactRecord } from './emails/order-contact.record';
import { OutgoingEmailRecord } from './emails/outgoing-email.record';
import { EmailsModule } from './emails/emails.module';

@Module({})
export class AppModule {
  static forRoot(config: EmailServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot('email-service'),
        OperatorAuthModule.forRoot(config.OPERATOR_TOKEN),
        TypeOrmModule.forRoot(
          postgresOptions(config, {
            entities: [OutgoingEmailRecord, OrderContactRecord],
            migrations: [
              CreateInboxTable1764000000001,
              CreateOutgoingEmails1764000000300,
              AddSendLease1764000000301,
              ShippedNoticeWaitsForContact1764000000302,
              AddEmailTraceparent1764000000303,
            ],
          }),
        ),
        InboxModule,
        HealthModule.forRoot({ broker: config, indicators: [InboxHealthIndicator] }),
        MetricsModule,
        EmailsModule.forRoot(config),
      ],
    };
  }
}

import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CreateInboxTable1764000000001 } from '@shop/inbox';
import { HealthModule } from '@shop/service-kit';
import { EmailServiceConfig } from './config';
import { CreateOutgoingEmails1764000000300 } from './migrations/1764000000300-create-outgoing-emails';
import { OutgoingEmailRecord } from './emails/outgoing-email.record';
import { EmailsModule } from './emails/emails.module';

@Module({})
export class AppModule {
  static forRoot(config: EmailServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          host: config.DB_HOST,
          port: config.DB_PORT,
          database: config.DB_NAME,
          username: config.DB_USER,
          password: config.DB_PASSWORD,
          entities: [OutgoingEmailRecord],
          migrations: [CreateInboxTable1764000000001, CreateOutgoingEmails1764000000300],
          migrationsRun: true,
          synchronize: false,
          extra: { max: 10, connectionTimeoutMillis: 5000 },
        }),
        HealthModule.forRoot({ kafkaBrokers: config.KAFKA_BROKERS }),
        EmailsModule.forRoot(config),
      ],
    };
  }
}

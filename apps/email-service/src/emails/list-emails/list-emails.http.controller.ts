import { Controller, Get, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { ZodValidationPipe } from '@shop/service-kit';
import { OutgoingEmailRecord } from '../outgoing-email.record';

const query = z.strictObject({ orderId: z.uuid().optional() });

/** What the service sent or is about to send; recipients are left out on purpose. */
@Controller('emails')
export class ListEmailsHttpController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  async list(@Query(new ZodValidationPipe(query)) q: z.infer<typeof query>) {
    const emails = await this.dataSource.getRepository(OutgoingEmailRecord).find({
      where: q.orderId ? { orderId: q.orderId } : {},
      order: { createdAt: 'DESC' },
      take: 100,
    });
    return emails.map((e) => ({
      id: e.id,
      kind: e.kind,
      orderId: e.orderId,
      eventId: e.eventId,
      messageId: e.messageId,
      subject: e.subject,
      status: e.status,
      createdAt: e.createdAt,
      sentAt: e.sentAt,
    }));
  }
}

import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { ApiQueryFrom, OperatorOnly, ZodValidationPipe } from '@shop/service-kit';
import { OutgoingEmailRecord } from '../outgoing-email.record';

const query = z.strictObject({ orderId: z.uuid().optional() });

/** What the service sent or is about to send; recipients are left out on purpose. */
@ApiTags('emails')
@Controller('emails')
export class ListEmailsHttpController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @OperatorOnly()
  @ApiOperation({ summary: 'List emails sent or about to be sent, newest first (at most 100)' })
  @ApiQueryFrom(query)
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

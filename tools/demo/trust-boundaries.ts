import { connect } from 'amqplib';
import { SHIPMENT_EVENTS_TOPIC } from '@shop/contracts';
import { kafkaClient, rabbitmqUrl, serviceUrl, settings, tryToWrite } from '@shop/infra';

/** What one refused attempt got back, in a few words. */
type Outcome = Promise<string>;

async function httpStatus(path: string, authorization?: string): Outcome {
  const res = await fetch(`${serviceUrl('shipping-service')}${path}`, {
    headers: authorization ? { authorization } : {},
  });
  return `${res.status}`;
}

/** order-service's own broker user tries to publish on shipping-service's topic. */
async function forbiddenPublish(): Outcome {
  if (settings.broker === 'rabbitmq') {
    const connection = await connect(rabbitmqUrl('order-service'));
    let refusal = ''; // the broker closes the channel with the reason; the confirm only sees it closed
    connection.on('error', () => undefined);
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', (err: Error) => (refusal = err.message));
      channel.publish(SHIPMENT_EVENTS_TOPIC, 'shipment.dispatched.v1', Buffer.from('{}'));
      await channel.waitForConfirms();
      return 'accepted (it should not be!)';
    } catch (err) {
      return /ACCESS_REFUSED/.test(refusal) ? 'refused by RabbitMQ: 403 ACCESS_REFUSED' : refusal || String(err);
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
  const answer = await tryToWrite(kafkaClient('order-service'), SHIPMENT_EVENTS_TOPIC);
  return answer === 'written' ? 'accepted (it should not be!)' : `refused by Kafka: ${answer}`;
}

/** Three refusals a visitor can repeat: the operator routes and the broker's permissions. */
export async function showTrustBoundaries(say: (line: string) => void): Promise<void> {
  say('\n▶ trust boundaries (docs/security.md)');
  say(`  GET /shipments without the operator token          → ${await httpStatus('/shipments')}`);
  say(`  GET /shipments with a wrong token                  → ${await httpStatus('/shipments', 'Bearer wrong')}`);
  say(`  order-service's broker user publishing shipments   → ${await forbiddenPublish()}`);
}

import { OrderCancelledV1 } from '@shop/contracts';
import { escapeHtml } from '../delivery/escape-html';

export function renderCancellationNotice(c: OrderCancelledV1): { subject: string; text: string; html: string } {
  const ref = c.orderId.slice(0, 8);
  return {
    subject: `Your order ${ref} was cancelled`,
    text: `Your order ${ref} was cancelled: ${c.reason}.\nNothing will be shipped.`,
    html: `<p>Your order <strong>${escapeHtml(ref)}</strong> was cancelled: ${escapeHtml(c.reason)}.</p><p>Nothing will be shipped.</p>`,
  };
}

import { OrderPlacedV1 } from '@shop/contracts';
import { escapeHtml } from '../delivery/escape-html';

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;

export function renderOrderConfirmation(order: OrderPlacedV1): { subject: string; text: string; html: string } {
  const ref = order.orderId.slice(0, 8);
  const lines = order.items.map(
    (i) => `${i.quantity} × ${i.sku} — ${money(i.quantity * i.unitPriceCents, order.currency)}`,
  );
  const total = money(order.totalCents, order.currency);
  return {
    subject: `Your order ${ref} is confirmed`,
    text: [`Thank you for your order ${ref}.`, '', ...lines, '', `Total: ${total}`].join('\n'),
    html:
      `<p>Thank you for your order <strong>${escapeHtml(ref)}</strong>.</p><ul>` +
      lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('') +
      `</ul><p>Total: <strong>${escapeHtml(total)}</strong></p>`,
  };
}

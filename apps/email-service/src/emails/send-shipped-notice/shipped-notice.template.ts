import { ShipmentDispatchedV1 } from '@shop/contracts';
import { escapeHtml } from '../delivery/escape-html';

export function renderShippedNotice(s: ShipmentDispatchedV1): { subject: string; text: string; html: string } {
  const ref = s.orderId.slice(0, 8);
  return {
    subject: `Your order ${ref} is on its way`,
    text: `Your order ${ref} was handed to ${s.carrier}.\nTracking number: ${s.trackingNumber}`,
    html: `<p>Your order <strong>${escapeHtml(ref)}</strong> was handed to ${escapeHtml(s.carrier)}.</p><p>Tracking number: <code>${escapeHtml(s.trackingNumber)}</code></p>`,
  };
}

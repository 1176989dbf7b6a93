import { fixtures } from '@shop/contracts';
import { renderOrderConfirmation } from './order-confirmation.template';

describe('order confirmation email', () => {
  it('renders text and HTML with the lines and the total', () => {
    const mail = renderOrderConfirmation(fixtures.orderPlacedV1.data);
    expect(mail.subject).toBe('Your order 0f8fad5b is confirmed');
    expect(mail.text).toContain('2 × BOOK-42 — 39.98 EUR');
    expect(mail.text).toContain('Total: 48.97 EUR');
    expect(mail.html).toContain('<li>1 × MUG-7 — 8.99 EUR</li>');
  });

  it('escapes HTML coming from the order', () => {
    const mail = renderOrderConfirmation({
      ...fixtures.orderPlacedV1.data,
      items: [{ sku: '<script>x</script>', quantity: 1, unitPriceCents: 1 }],
    });
    expect(mail.html).toContain('&lt;script&gt;');
    expect(mail.html).not.toContain('<script>');
  });
});

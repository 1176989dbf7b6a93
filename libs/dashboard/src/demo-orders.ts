import { randomUUID } from 'node:crypto';

const skus = ['BOOK-42', 'MUG-7', 'PEN-1', 'LAMP-3', 'SOCKS-9'];
const cities = [
  { city: 'Berlin', postalCode: '10115', country: 'DE' },
  { city: 'Paris', postalCode: '75001', country: 'FR' },
  { city: 'Helsinki', postalCode: '00100', country: 'FI' },
];

/** A POST /orders body made of invented, non-personal data (example.com addresses). */
export function demoOrder(n: number) {
  const tag = randomUUID().slice(0, 8);
  const place = cities[n % cities.length];
  return {
    customerId: `dashboard-${tag}`,
    contactEmail: `dashboard-${tag}@example.com`,
    items: [{ sku: skus[n % skus.length], quantity: 1 + (n % 3), unitPriceCents: 499 + 100 * (n % 5) }],
    shippingAddress: { line1: 'Example Street 1', ...place },
  };
}

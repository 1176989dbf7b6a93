// Small DOM helpers: text only (textContent), never HTML from data.

export const hopLabels = {
  committed: 'committed with its outbox row',
  claimed: 'claimed by the relay',
  onTopic: 'on the topic',
  scheduled: 'shipment scheduled',
  emailed: 'confirmation email sent',
  dispatched: 'dispatched',
  shippedNotice: 'shipped notice sent',
};
// A cancelled order ends on this path instead of dispatch.
const cancelledLabels = {
  ...Object.fromEntries(
    Object.entries(hopLabels).filter(([name]) => name !== 'dispatched' && name !== 'shippedNotice'),
  ),
  cancelled: 'shipment cancelled',
  cancellationNotice: 'cancellation notice sent',
};

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

export const time = (iso) => (iso ? new Date(iso).toISOString().slice(11, 23) : '');

/** Rows of cells into a tbody, replaced only when they changed. */
export function renderTable(tbody, rows, decorate, items) {
  const key = JSON.stringify(rows);
  if (tbody.dataset.key === key) return;
  tbody.dataset.key = key;
  tbody.replaceChildren(
    ...rows.map((cells, i) => {
      const row = el('tr', {}, el('th', { scope: 'row' }, cells[0]), ...cells.slice(1).map((c) => el('td', {}, c)));
      decorate(row, items[i]);
      return row;
    }),
  );
}

/** One order's card: its id, status, trace link, a Dispatch button while it waits, and its hops. */
export function renderFlow(item, flow, dispatch) {
  const key = JSON.stringify(flow);
  if (item.dataset.key === key) return;
  item.dataset.key = key;
  const t0 = flow.hops.committed ? Date.parse(flow.hops.committed.at) : undefined;
  const head = el(
    'div',
    { class: 'flow-head' },
    el('h3', {}, `Order ${flow.orderId}`),
    el('span', { class: 'status' }, flow.status ?? '…'),
  );
  if (flow.traceUrl)
    head.append(el('a', { href: flow.traceUrl, target: '_blank', rel: 'noopener noreferrer' }, 'trace'));
  const canDispatch = flow.hops.scheduled && !flow.hops.dispatched && flow.status !== 'CANCELLED';
  let button = item.querySelector('button.dispatch');
  if (canDispatch) {
    button ??= el('button', { type: 'button', class: 'dispatch' }, 'Dispatch');
    button.setAttribute('aria-label', `Dispatch order ${flow.orderId.slice(0, 8)}`);
    button.onclick = () => dispatch(flow.orderId);
    head.append(button);
  }
  const hops = el('ol', { class: 'hops' });
  const labels = flow.status === 'CANCELLED' || flow.hops.cancelled ? cancelledLabels : hopLabels;
  for (const [name, label] of Object.entries(labels)) {
    const hop = flow.hops[name];
    const li = el('li', { 'data-hop': name, class: hop ? 'done' : 'waiting' });
    const since = hop && t0 !== undefined ? ` +${Date.parse(hop.at) - t0} ms` : '';
    li.append(
      el('span', { class: 'hop-name' }, label),
      el('span', { class: 'hop-time' }, hop ? `${time(hop.at)}${since}` : 'waiting'),
    );
    if (hop?.detail) li.append(el('span', { class: 'hop-detail' }, hop.detail));
    hops.append(li);
  }
  item.replaceChildren(head, hops);
}

// The dashboard's page: a snapshot of the system arrives over SSE once a second and is drawn
// in place (elements kept per order, so focus and keyboard position survive each update).
import { el, hopLabels, renderFlow, renderTable, time } from './render.js';

const $ = (id) => document.getElementById(id);
let events;
let lastAnnounced = '';

async function api(path, body) {
  const res = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401 && path !== '/api/login') showLogin();
  const text = await res.text();
  const data = text ? JSON.parse(text) : {};
  if (!res.ok) {
    const fields = (data.errors ?? []).map((e) => `${e.field}: ${e.message}`).join('; ');
    throw new Error(fields || data.message || `${res.status}`);
  }
  return data;
}

function showLogin() {
  events?.close();
  $('app').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('connection').textContent = 'not logged in';
  $('token').focus();
}

function connect() {
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  events?.close();
  events = new EventSource('/api/events');
  events.onopen = () => ($('connection').textContent = 'live');
  events.onmessage = (e) => draw(JSON.parse(e.data));
  events.onerror = () => {
    $('connection').textContent = 'reconnecting…';
    // The browser retries by itself; a session that ended shows the login instead.
    fetch('/api/session')
      .then((r) => r.json())
      .then(
        (s) => s.loggedIn || showLogin(),
        () => undefined,
      );
  };
}

function draw(s) {
  $('connection').textContent = `live · ${time(s.at)} · broker ${s.broker}`;
  $('drills').hidden = !s.drills;
  const outboxes = s.gauges.filter((g) => g.pending !== null);
  $('backlog').textContent = outboxes.length ? String(outboxes.reduce((n, g) => n + g.pending, 0)) : '–';
  const oldest = Math.max(0, ...outboxes.map((g) => g.oldestPendingAgeSeconds));
  $('oldest').textContent = outboxes.length ? `${oldest.toFixed(1)} s` : '–';
  const fmt = (v, yes = 'yes') => (v === null ? '–' : v === true ? yes : v === false ? 'no' : String(v));
  renderTable(
    $('gauges').tBodies[0],
    s.gauges.map((g) => [
      g.service,
      g.up ? 'up' : 'DOWN',
      fmt(g.pending),
      g.oldestPendingAgeSeconds === null ? '–' : `${g.oldestPendingAgeSeconds.toFixed(1)} s`,
      fmt(g.parked),
      fmt(g.relayLeader, 'leads'),
      fmt(g.consumerLag),
      fmt(g.deadLettered),
    ]),
    (row, g) => (row.dataset.service = g.service),
    s.gauges,
  );
  drawFlows(s.flows);
  drawParked(s.parked);
  drawDeadLetters(s.deadLetters);
}

function drawFlows(flows) {
  const list = $('flows');
  const keep = new Set(flows.map((f) => f.orderId));
  for (const item of [...list.children]) if (!keep.has(item.dataset.order)) item.remove();
  flows.forEach((flow, i) => {
    let item = list.querySelector(`[data-order="${flow.orderId}"]`);
    if (!item) item = el('li', { class: 'flow', 'data-order': flow.orderId });
    if (list.children[i] !== item) list.insertBefore(item, list.children[i] ?? null);
    renderFlow(item, flow, dispatch);
  });
  // One announcement for the newest order's latest hop: enough to follow, not a flood.
  const newest = flows[0];
  const reached = newest && Object.keys(hopLabels).filter((h) => newest.hops[h]);
  const line = reached?.length ? `Order ${newest.orderId.slice(0, 8)}: ${hopLabels[reached.at(-1)]}` : '';
  if (line !== lastAnnounced) $('announce').textContent = lastAnnounced = line;
}

let parkedShown = '';
function drawParked(rows) {
  const key = JSON.stringify(rows);
  if (key === parkedShown) return;
  parkedShown = key;
  const box = $('parked');
  box.replaceChildren();
  if (rows.length === 0) return box.append(el('p', { class: 'muted' }, 'No parked rows.'));
  const table = el('table');
  table.append(
    el('caption', { class: 'sr-only' }, 'Rows the relay gave up on, waiting for an operator'),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...['Service', 'Event', 'Type', 'Attempts', 'Last error', 'Parked', ''].map((h) =>
          el('th', { scope: 'col' }, h),
        ),
      ),
    ),
  );
  const body = el('tbody');
  for (const r of rows) {
    const button = el('button', { type: 'button' }, 'Re-queue');
    button.setAttribute('aria-label', `Re-queue ${r.type} ${r.id.slice(0, 8)}`);
    button.onclick = () =>
      act(`re-queued ${r.id.slice(0, 8)}`, '/api/parked/requeue', { service: r.service, ids: [r.id] });
    body.append(
      el(
        'tr',
        {},
        ...[r.service, r.id, r.type, String(r.attempts), r.lastError ?? '', time(r.parkedAt)].map((c) =>
          el('td', {}, c),
        ),
        el('td', {}, button),
      ),
    );
  }
  table.append(body);
  box.append(el('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'parked-title' }, table));
}

let deadShown = '';
function drawDeadLetters(rows) {
  const key = JSON.stringify(rows);
  if (key === deadShown) return;
  deadShown = key;
  const box = $('dead-letters');
  box.replaceChildren();
  if (rows === null)
    return box.append(
      el('p', { class: 'muted' }, 'On RabbitMQ the dead-letter queues are not read here; see the Dead-lettered gauge.'),
    );
  if (rows.length === 0) return box.append(el('p', { class: 'muted' }, 'No dead letters.'));
  const table = el('table');
  table.append(el('caption', { class: 'sr-only' }, 'Messages a consumer could not handle (payloads are not shown)'));
  table.append(
    el(
      'thead',
      {},
      el('tr', {}, ...['Event', 'Type', 'Consumer', 'Reason', 'Where', 'At'].map((h) => el('th', { scope: 'col' }, h))),
    ),
  );
  table.append(
    el(
      'tbody',
      {},
      ...rows.map((d) =>
        el(
          'tr',
          {},
          ...[d.id ?? '', d.type ?? '', d.consumer ?? '', d.reason ?? '', d.where, time(d.at)].map((c) =>
            el('td', {}, c),
          ),
        ),
      ),
    ),
  );
  box.append(el('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'dlt-title' }, table));
}

async function act(done, path, body) {
  const status = $('action-status');
  status.textContent = 'working…';
  try {
    const result = await api(path, body);
    status.textContent = typeof done === 'function' ? done(result) : done;
  } catch (err) {
    status.textContent = `Failed: ${err.message}`;
  }
}

const dispatch = (orderId) =>
  act(`dispatch of ${orderId.slice(0, 8)} requested`, `/api/orders/${orderId}/dispatch`, {});

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('login-error').textContent = '';
  try {
    await api('/api/login', { token: $('token').value });
    $('token').value = '';
    connect();
  } catch (err) {
    $('login-error').textContent = `Not logged in: ${err.message}`;
  }
});
$('logout').onclick = async () => {
  await api('/api/logout', {}).catch(() => undefined);
  showLogin();
};
$('place-one').onclick = () => act((r) => `placed order ${r.ids[0].slice(0, 8)}`, '/api/orders', { count: 1 });
$('place-burst').onclick = () =>
  act((r) => `placed ${r.ids.length} orders`, '/api/orders', { count: Number($('burst-size').value) });
for (const button of document.querySelectorAll('[data-drill]'))
  button.onclick = () => {
    const name = button.dataset.drill;
    const body = name === 'pause-consumer' ? { seconds: Number($('pause-seconds').value) } : {};
    act(`drill ${name}: done`, `/api/drills/${name}`, body);
  };

fetch('/api/session')
  .then((r) => r.json())
  .then((s) => (s.loggedIn ? connect() : showLogin()));

// The Requests page: search TMDB, request a movie or seasons of a series, follow the requests live
// (request.changed on the event stream), and for admins approve or decline.
import { api, t, localTime, toast } from './api.js';
import { on, throttled } from './live.js';

const $ = (id) => document.getElementById(id);
const results = $('request-results');
const list = $('requests-list');
const pending = $('requests-pending');
const fill = (text, values) => Object.entries(values).reduce((out, [k, v]) => out.replace(`{${k}}`, v), text);
const el = (tag, props = {}, children = []) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};
const STATE_STYLE = {
  pending: 'secondary', approved: 'info', grabbed: 'primary', available: 'success', declined: 'dark', failed: 'danger',
};
const badge = (state) => el('span', {
  className: `badge text-bg-${STATE_STYLE[state] || 'secondary'}`, textContent: t('requests', state),
}, []);

function poster(url, title) {
  return el('img', { src: url || '/static/img/poster-placeholder.svg', alt: title, width: 60, height: 90,
    className: 'rounded flex-shrink-0 object-fit-cover', loading: 'lazy' });
}

async function refreshQuota() {
  const quota = await api('GET', '/api/requests/quota', undefined, { quiet: true }).catch(() => null);
  if (quota) $('request-quota').textContent = quota.text;
}

async function ask(body, button) {
  button.disabled = true;
  try {
    await api('POST', '/api/requests', body);
    toast(results.dataset.sent, 'success');
    button.replaceWith(badge('pending'));
    loadRequests();
    refreshQuota();
  } catch {
    button.disabled = false;
  }
}

async function chooseSeasons(item, box) {
  const data = await api('GET', `/api/requests/tv/${item.tmdb_id}`);
  const form = el('form', { className: 'd-flex flex-wrap gap-2 mt-1' });
  for (const season of data.seasons) {
    const id = `season-${item.tmdb_id}-${season.number}`;
    const input = el('input', { type: 'checkbox', className: 'form-check-input', id, value: season.number,
      disabled: Boolean(season.state), checked: false });
    const label = el('label', { className: 'form-check-label', htmlFor: id,
      textContent: `${fill(results.dataset.season, { n: season.number })} (${fill(results.dataset.episodes, { n: season.episodes })})`
        + (season.state ? ` · ${t('requests', season.state)}` : '') });
    form.append(el('div', { className: 'form-check form-check-inline small' }, [input, label]));
  }
  const submit = el('button', { type: 'submit', className: 'btn btn-sm btn-primary', textContent: results.dataset.askSeasons });
  form.append(submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const seasons = [...form.querySelectorAll('input:checked')].map((box2) => Number(box2.value));
    if (seasons.length) ask({ kind: 'tv', tmdb_id: item.tmdb_id, seasons }, submit);
  });
  box.replaceChildren(form);
}

function resultCard(item) {
  const action = el('div', { className: 'mt-1' });
  if (item.request && item.kind === 'movie') {
    action.append(badge(item.request.state));
  } else if (item.kind === 'movie') {
    const button = el('button', { type: 'button', className: 'btn btn-sm btn-primary', textContent: results.dataset.ask });
    button.addEventListener('click', () => ask({ kind: 'movie', tmdb_id: item.tmdb_id }, button));
    action.append(button);
  } else {
    if (item.request) action.append(badge(item.request.state), ' ');
    const button = el('button', { type: 'button', className: 'btn btn-sm btn-outline-light', textContent: results.dataset.choose });
    button.addEventListener('click', () => chooseSeasons(item, action).catch(() => {}));
    action.append(button);
  }
  const text = el('div', { className: 'small flex-grow-1 min-w-0' }, [
    el('div', { className: 'fw-semibold text-break', textContent: `${item.title}${item.year ? ` (${item.year})` : ''}` }),
    el('div', { className: 'text-body-secondary text-truncate-3', textContent: item.overview || '' }),
    action,
  ]);
  const card = el('div', { className: 'card h-100' }, [el('div', { className: 'card-body d-flex gap-2 p-2' }, [poster(item.poster, item.title), text])]);
  card.dataset.result = item.tmdb_id;
  return el('div', { className: 'col-12 col-md-6 col-xl-4' }, [card]);
}

$('request-search').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const query = new URLSearchParams({ q: form.elements.q.value.trim(), kind: form.elements.kind.value });
  try {
    const found = await api('GET', `/api/requests/search?${query}`);
    results.replaceChildren(...(found.length ? found.map(resultCard)
      : [el('p', { className: 'small text-body-secondary', textContent: results.dataset.none })]));
  } catch {
    // shown by the wrapper
  }
});

function requestRow(row, review) {
  const title = `${row.title}${row.year ? ` (${row.year})` : ''}`;
  const seasons = row.seasons?.length ? ` · ${fill(list.dataset.seasons, { list: row.seasons.join(', ') })}` : '';
  const meta = el('div', { className: 'text-body-secondary' }, [
    fill(list.dataset.by, { name: row.username }), ' · ', el('time', { dateTime: row.created_at, textContent: localTime(row.created_at) }),
  ]);
  const lines = [el('div', { className: 'fw-semibold text-break' }, [title, seasons, ' ', badge(row.state)]), meta];
  if (row.reason_text) lines.push(el('div', { className: row.state === 'failed' ? 'text-danger' : 'text-body-secondary', textContent: row.reason_text }));
  else if (row.last?.text) lines.push(el('div', { className: 'text-body-secondary text-break', textContent: row.last.text }));
  const actions = el('div', { className: 'd-flex flex-wrap gap-1 align-items-start' });
  if (review && ['pending', 'failed'].includes(row.state)) {
    const yes = el('button', { type: 'button', className: 'btn btn-sm btn-success', textContent: list.dataset.approve });
    yes.addEventListener('click', () => act(yes, 'POST', `/api/requests/${row.id}/approve`));
    actions.append(yes);
  }
  if (review && ['pending', 'approved', 'failed'].includes(row.state)) {
    const no = el('button', { type: 'button', className: 'btn btn-sm btn-outline-danger', textContent: list.dataset.decline });
    no.addEventListener('click', () => {
      const reason = window.prompt(list.dataset.reasonPrompt, '');
      if (reason !== null) act(no, 'POST', `/api/requests/${row.id}/decline`, { reason });
    });
    actions.append(no);
  }
  if (row.state === 'pending' && row.username === list.dataset.me) {
    const withdraw = el('button', { type: 'button', className: 'btn btn-sm btn-outline-light', textContent: list.dataset.withdraw });
    withdraw.addEventListener('click', () => act(withdraw, 'DELETE', `/api/requests/${row.id}`));
    actions.append(withdraw);
  }
  const body = el('div', { className: 'card-body d-flex gap-2 p-2 small' }, [
    poster(row.poster, row.title), el('div', { className: 'flex-grow-1 min-w-0' }, lines), actions]);
  const card = el('article', { className: 'card' }, [body]);
  card.dataset.request = row.id;
  card.dataset.state = row.state;
  return card;
}

async function act(button, method, url, body) {
  button.disabled = true;
  try {
    await api(method, url, body);
    loadRequests();
  } catch {
    button.disabled = false;
  }
}

async function loadRequests() {
  const state = $('requests-state')?.value || '';
  const query = new URLSearchParams({ scope: list.dataset.scope, state });
  try {
    const data = await api('GET', `/api/requests?${query}`, undefined, { quiet: true });
    const review = Boolean(list.dataset.review);
    list.replaceChildren(...(data.requests.length ? data.requests.map((row) => requestRow(row, review))
      : [el('p', { className: 'small text-body-secondary', textContent: list.dataset.empty })]));
    if (pending) {
      const waiting = (state === '' || state === 'pending') ? data.requests.filter((r) => r.state === 'pending')
        : (await api('GET', '/api/requests?scope=all&state=pending', undefined, { quiet: true })).requests;
      pending.replaceChildren(...(waiting.length ? waiting.map((row) => requestRow(row, true))
        : [el('p', { className: 'small text-body-secondary', textContent: pending.dataset.empty })]));
    }
  } catch {
    // the stream brings the next change; a failing list keeps what it showed
  }
}

const reload = throttled(loadRequests, 500);
on('request.changed', reload);
on('reset', reload);
$('requests-state')?.addEventListener('change', loadRequests);
loadRequests();

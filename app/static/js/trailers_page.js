// The trailers page: every Plex movie and show with its trailer status, filters, bulk actions.
import { api, toast } from './api.js';
import { colourTrailerButtons, trailerButtonFor } from './trailers.js';

const root = document.getElementById('trailers-page');
const TEXT = JSON.parse(root.dataset.text);
const $ = (id) => document.getElementById(id);
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ''));
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};
let status = '';
let typing;

async function load() {
  const params = new URLSearchParams({ status, text: $('trailer-filter').value.trim() });
  const data = await api('GET', `/api/trailers/library?${params}`, undefined, { quiet: true }).catch((err) => {
    $('trailer-page-message').textContent = err.message;
    return null;
  });
  if (!data) return;
  if (!data.configured) { $('trailer-page-message').textContent = TEXT.notConfigured; return; }
  document.querySelectorAll('#trailer-summary [data-count]').forEach((badge) => {
    const key = badge.dataset.count;
    badge.textContent = key ? data.counts[key] : Object.values(data.counts).reduce((a, b) => a + b, 0);
  });
  $('trailer-page-message').textContent = [fill(TEXT.total, { count: data.total }),
    data.without_id ? fill(TEXT.withoutId, { count: data.without_id }) : ''].filter(Boolean).join(' · ');
  const body = $('trailer-table').tBodies[0];
  body.replaceChildren(...(data.items.length ? data.items.map((item) => {
    const check = el('input', { type: 'checkbox', className: 'form-check-input', value: item.key });
    check.setAttribute('aria-label', item.title);
    const ids = item.media_type === 'movie' ? { tmdb_id: item.external_id } : { tvdb_id: item.external_id };
    const button = trailerButtonFor({ media_type: item.media_type, title: item.title, year: item.year, ...ids },
      'find-and-play-trailer-btn', { withText: true });
    const badge = el('span', { className: `badge ${{ LOCKED: 'text-bg-success', UNLOCKED: 'text-bg-warning', NONE: 'text-bg-secondary' }[item.status]}`, textContent: TEXT[item.status] });
    const tr = el('tr', {}, el('td', {}, check), el('td', { textContent: item.title }), el('td', { textContent: item.year ?? '' }),
      el('td', {}, badge), el('td', { className: 'small', textContent: item.status === 'LOCKED' ? (item.on_disk ? TEXT.onDisk : TEXT.notOnDisk) : '' }),
      el('td', {}, button));
    tr.dataset.key = item.key;
    return tr;
  }) : [el('tr', {}, el('td', { colSpan: 6, className: 'text-body-secondary', textContent: TEXT.empty }))]));
  colourTrailerButtons(body);
}

document.querySelectorAll('#trailer-summary [data-status]').forEach((button) => button.addEventListener('click', () => {
  status = button.dataset.status;
  document.querySelectorAll('#trailer-summary [data-status]').forEach((b) => b.classList.toggle('active', b === button));
  load();
}));
$('trailer-filter').addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(load, 300); });
$('trailer-select-all').addEventListener('change', (e) => {
  document.querySelectorAll('#trailer-table tbody input[type=checkbox]').forEach((c) => { c.checked = e.target.checked; });
});
window.addEventListener('trailerStatusUpdated', () => load());

async function follow(runId) {
  const run = await api('GET', `/api/trailers/bulk/${runId}`, undefined, { quiet: true }).catch(() => null);
  if (!run) return;
  if (run.state === 'running') { setTimeout(() => follow(runId), 1000); return; }
  const r = run.result || { failed: [] };
  toast(fill(TEXT.result, { searched: r.searched ?? 0, locked: r.locked ?? 0, downloaded: r.downloaded ?? 0, failed: r.failed.length }),
    r.failed.length ? 'warning' : 'success');
  r.failed.slice(0, 5).forEach((f) => toast(`${f.title}: ${f.reason}`));
  load();
}

document.querySelectorAll('[data-bulk]').forEach((button) => button.addEventListener('click', async () => {
  const keys = [...document.querySelectorAll('#trailer-table tbody input[type=checkbox]:checked')].map((c) => c.value);
  if (!keys.length) return;
  const run = await api('POST', '/api/trailers/bulk', { action: button.dataset.bulk, keys }).catch(() => null);
  if (!run) return;
  toast(fill(TEXT.started, { count: run.total }), 'info');
  follow(run.id);
}));

load();

import { api, confirmDialog, localTime, size, toast, t as word } from './api.js';
import { follow } from './live.js';
import { confirmPending, openMapping, sendReleases } from './mapping.js';

const table = document.getElementById('torrents');
const body = table.querySelector('tbody');
// torrents that are not in the pipeline change on the seedbox without an event: read again this often
const REFRESH_MS = 30000;

// seconds -> "2 h 05 min", "4 min", "35 s"
function duration(seconds) {
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.round(s / 60)} min`;
  return `${s} s`;
}

function row(t) {
  const tr = document.createElement('tr');
  tr.dataset.hash = t.info_hash;
  const name = document.createElement('td');
  name.className = 'small text-break';
  name.textContent = t.name;
  const progress = document.createElement('td');
  progress.innerHTML = '<div class="progress" role="progressbar"><div class="progress-bar"></div></div>';
  const pct = Math.round(t.progress * 100);
  progress.querySelector('.progress').setAttribute('aria-valuenow', pct);
  const bar = progress.querySelector('.progress-bar');
  bar.style.width = `${pct}%`;
  bar.textContent = `${pct}%`;
  if (t.complete) bar.classList.add('bg-success');
  const left = t.size * (1 - t.progress);
  const eta = !t.complete && t.download_speed > 0 ? duration(left / t.download_speed) : '';
  const speed = t.download_speed ? `↓ ${size(t.download_speed)}/s` : (t.upload_speed ? `↑ ${size(t.upload_speed)}/s` : '');
  const cells = [size(t.size), speed, eta, word('torrent', t.state), t.ratio.toFixed(2), t.label,
    t.pending ? `${t.pending.title} · ${word('states', t.pending.state)}` : '—'];
  tr.append(name, progress, ...cells.map((c) => Object.assign(document.createElement('td'), { textContent: c, className: 'small' })));
  const actions = document.createElement('td');
  const remove = document.createElement('button');
  remove.className = 'btn btn-sm btn-outline-danger';
  remove.type = 'button';
  remove.innerHTML = '<i class="bi bi-trash" aria-hidden="true"></i>';
  remove.setAttribute('aria-label', `${table.dataset.removeText} ${t.name}`);
  remove.title = table.dataset.removeText;
  remove.dataset.remove = t.info_hash;
  remove.dataset.name = t.name;
  actions.append(remove);
  tr.append(actions);
  return tr;
}

async function refresh() {
  const data = await api('GET', '/api/seedbox/torrents', undefined, { quiet: true }).catch((e) => ({ torrents: [], error: e.message }));
  const error = document.getElementById('client-error');
  error.classList.toggle('d-none', !data.error);
  error.textContent = data.error || '';
  body.replaceChildren(...data.torrents.map(row));
}

body.addEventListener('click', async (event) => {
  const button = event.target.closest('[data-remove]');
  if (!button) return;
  const answer = await confirmDialog({ title: table.dataset.confirmText, body: button.dataset.name, actions: [
    { value: 'keep', label: table.dataset.keepDataText, kind: 'warning' },
    { value: 'data', label: table.dataset.deleteDataText, kind: 'danger' }] });
  if (!answer) return;
  await api('DELETE', `/api/seedbox/torrents/${button.dataset.remove}?delete_data=${answer === 'data' ? 1 : 0}`).catch(() => null);
  refresh();
});

document.getElementById('add-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const link = document.getElementById('add-link').value.trim();
  const file = document.getElementById('add-file').files[0];
  if (!link && !file) return;
  // what it is, before the dialog: a file that is not a .torrent, or text that is no magnet/URL, stops here
  let info;
  if (file) {
    const form = new FormData();
    form.append('torrent', file);
    info = await api('POST', '/api/seedbox/inspect', form).catch(() => null);
  } else {
    info = await api('POST', '/api/seedbox/inspect', { link }).catch(() => null);
  }
  if (!info) return;
  if (info.pending && !await confirmPending([`${info.name} (${word('states', info.pending.state)})`])) return;
  const mapping = await openMapping({ names: [info.name], mediaType: info.media_type, query: info.title });
  if (!mapping) return;
  if (file) {
    const send = async (confirm) => {
      const form = new FormData();
      form.append('torrent', file);
      form.append('mapping', JSON.stringify(mapping));
      if (confirm) form.append('confirm', '1');
      return api('POST', '/api/seedbox/upload', form, { quiet: true });
    };
    let answer = await send(info.pending !== null).catch((e) => e);
    if (answer.code === 'already_pending' && await confirmPending(Object.values(answer.fields))) answer = await send(true).catch((e) => e);
    if (answer.entry) toast(`✔ ${answer.entry.release_name}`, 'success');
    else if (answer.message && answer.code !== 'already_pending') toast(answer.message);
  } else {
    const answer = await sendReleases([{ link }], mapping).catch(() => null);
    if (answer) answer.report.filter((r) => !r.ok && !r.already_pending).forEach((r) => toast(`✘ ${r.error}`, 'danger'));
  }
  event.target.reset();
  refresh();
});

refresh();
// the torrent list changes on the seedbox too: the pipeline's events refresh it, and a slow timer catches the rest
follow(['pipeline.added', 'pipeline.state', 'pipeline.progress'], refresh);
setInterval(refresh, REFRESH_MS);

// -- pipeline (the pending map), refreshed every 2 s ------------------------------------------
const pipeline = document.getElementById('pipeline');
const pipelineBody = pipeline.querySelector('tbody');
const STATE_CLASS = { imported: 'text-bg-success', transfer_failed: 'text-bg-danger', import_failed: 'text-bg-danger', removed: 'text-bg-secondary' };
const mb = (bytes) => size(bytes);

function pipelineRow(e) {
  const tr = document.createElement('tr');
  tr.dataset.hash = e.info_hash;
  tr.dataset.state = e.state;
  const cell = (content, cls = 'small') => { const td = document.createElement('td'); td.className = cls; if (content instanceof Node) td.append(content); else td.textContent = content ?? ''; return td; };
  const badge = Object.assign(document.createElement('span'), { className: `badge ${STATE_CLASS[e.state] || 'text-bg-info'}`, textContent: word('states', e.state) });
  const stateBox = document.createElement('div');
  stateBox.append(badge);
  if (e.error) stateBox.append(Object.assign(document.createElement('div'), { className: 'small mms-state-bad', textContent: e.error }));
  if (e.state.endsWith('_failed')) {
    const next = e.next_try_at ? pipeline.dataset.nextTryText.replace('{time}', new Date(e.next_try_at).toLocaleTimeString()) : pipeline.dataset.manualRetryText;
    const tries = pipeline.dataset.attemptsText.replace('{n}', e.attempts || 0);
    stateBox.append(Object.assign(document.createElement('div'), { className: 'small text-body-secondary', textContent: `${tries} · ${next}` }));
  }
  const total = e.bytes_total || 0;
  const done = e.bytes_done || 0;
  const pct = total ? Math.min(100, Math.round((done / total) * 100)) : (e.state === 'imported' ? 100 : 0);
  const progress = document.createElement('div');
  progress.className = 'progress';
  progress.setAttribute('role', 'progressbar');
  progress.setAttribute('aria-valuenow', pct);
  const bar = document.createElement('div');
  bar.className = 'progress-bar';
  bar.style.width = `${pct}%`;
  bar.textContent = total ? `${mb(done)} / ${mb(total)}` : '';
  progress.append(bar);
  const p = e.progress || {};
  const speed = p.rate ? `${mb(p.rate)}/s${p.eta != null ? ` · ${p.eta} s` : ''}` : '';
  const history = document.createElement('details');
  history.append(Object.assign(document.createElement('summary'), { textContent: `${e.history.length}` }));
  const list = document.createElement('ol');
  list.className = 'small mb-0';
  e.history.forEach((h) => list.append(Object.assign(document.createElement('li'), { textContent: `${localTime(h.time)} · ${word('states', h.state)} — ${h.detail}` })));
  history.append(list);
  const actions = document.createElement('div');
  actions.className = 'd-flex gap-1';
  const button = (action, label, cls) => {
    const b = Object.assign(document.createElement('button'), { className: `btn btn-sm ${cls}`, textContent: label, type: 'button' });
    b.dataset.action = action;
    b.dataset.hash = e.info_hash;
    return b;
  };
  if (e.state.endsWith('_failed')) actions.append(button('retry', pipeline.dataset.retryText, 'btn-outline-warning'));
  if (!['imported', 'removed'].includes(e.state)) actions.append(button('remap', pipeline.dataset.remapText, 'btn-outline-light'));
  actions.append(button('forget', pipeline.dataset.forgetText, 'btn-outline-danger'));
  const target = `${e.title}${e.season != null ? ` S${String(e.season).padStart(2, '0')}` : ''}`;
  tr.append(cell(e.release_name, 'small text-break'), cell(target), cell(stateBox), cell(progress, ''), cell(speed), cell(history), cell(actions, ''));
  return tr;
}

let pipelineSize = 50;
let pipelineEntries = new Map();
const pipelineMore = document.getElementById('pipeline-more');
pipelineMore.addEventListener('click', () => { pipelineSize += 50; refreshPipeline(); });

async function refreshPipeline() {
  const data = await api('GET', `/api/pending?page_size=${pipelineSize}`, undefined, { quiet: true }).catch(() => null);
  if (!data) return;
  const open = new Set([...pipelineBody.querySelectorAll('details[open]')].map((d) => d.closest('tr').dataset.hash));
  pipelineEntries = new Map(data.entries.map((e) => [e.info_hash, e]));
  pipelineBody.replaceChildren(...data.entries.map(pipelineRow));
  pipelineMore.classList.toggle('d-none', data.total <= data.entries.length);
  pipelineMore.textContent = pipelineMore.dataset.text.replace('{shown}', data.entries.length).replace('{total}', data.total);
  pipelineBody.querySelectorAll('tr').forEach((tr) => { if (open.has(tr.dataset.hash)) tr.querySelector('details').open = true; });
}

pipelineBody.addEventListener('click', async (event) => {
  const button = event.target.closest('[data-action]');
  if (!button) return;
  const { action, hash } = button.dataset;
  if (action === 'retry') await api('POST', `/api/pending/${hash}/retry`).catch(() => null);
  if (action === 'forget') {
    const answer = await confirmDialog({ title: pipeline.dataset.confirmForgetText, body: button.closest('tr').cells[0].textContent,
      actions: [{ value: 'forget', label: pipeline.dataset.forgetText, kind: 'danger' }] });
    if (answer === 'forget') await api('DELETE', `/api/pending/${hash}`).catch(() => null);
  }
  if (action === 'remap') {
    const row = button.closest('tr');
    const entry = pipelineEntries.get(hash);
    const mapping = await openMapping({ names: [row.cells[0].textContent], entry });
    if (mapping) await api('POST', `/api/pending/${hash}/remap`, mapping).catch(() => null);
  }
  refreshPipeline();
});

refreshPipeline();
follow(['pipeline.added', 'pipeline.state', 'pipeline.progress'], refreshPipeline);

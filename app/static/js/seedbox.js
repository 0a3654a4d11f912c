import { api, toast } from './api.js';
import { openMapping } from './mapping.js';

const table = document.getElementById('torrents');
const body = table.querySelector('tbody');
const REFRESH_MS = 5000;

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
  const cells = [t.state, t.ratio.toFixed(2), t.label,
    t.pending ? `${t.pending.title} · ${t.pending.state}` : '—'];
  tr.append(name, progress, ...cells.map((c) => Object.assign(document.createElement('td'), { textContent: c, className: 'small' })));
  const actions = document.createElement('td');
  const remove = document.createElement('button');
  remove.className = 'btn btn-sm btn-outline-danger';
  remove.innerHTML = '<i class="bi bi-trash"></i>';
  remove.dataset.remove = t.info_hash;
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
  if (!button || !window.confirm(table.dataset.confirmText)) return;
  const withData = window.confirm(table.dataset.confirmDataText);
  await api('DELETE', `/api/seedbox/torrents/${button.dataset.remove}?delete_data=${withData ? 1 : 0}`).catch(() => null);
  refresh();
});

document.getElementById('add-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const link = document.getElementById('add-link').value.trim();
  const file = document.getElementById('add-file').files[0];
  if (!link && !file) return;
  const mapping = await openMapping({ names: [file ? file.name : link.slice(0, 80)], mediaType: 'movie' });
  if (!mapping) return;
  if (file) {
    const form = new FormData();
    form.append('torrent', file);
    form.append('mapping', JSON.stringify(mapping));
    const answer = await api('POST', '/api/seedbox/upload', form).catch(() => null);
    if (answer) toast(`✔ ${answer.entry.release_name}`, 'success');
  } else {
    const answer = await api('POST', '/api/seedbox/send', { items: [{ link }], mapping }).catch(() => null);
    if (answer) answer.report.forEach((r) => toast(r.ok ? `✔ ${r.name}` : `✘ ${r.error}`, r.ok ? 'success' : 'danger'));
  }
  event.target.reset();
  refresh();
});

refresh();
setInterval(refresh, REFRESH_MS);

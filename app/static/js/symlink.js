import { api, toast, t as word } from './api.js';
import { on, throttled } from './live.js';

const $ = (id) => document.getElementById(id);
let current = null;
let timer = null;

async function loadFolders(path, list) {
  const data = await api('GET', `/api/symlink/directories${path ? `?path=${encodeURIComponent(path)}` : ''}`).catch(() => null);
  if (!data) return;
  list.replaceChildren(...data.folders.map((f) => {
    const li = document.createElement('li');
    const label = document.createElement('label');
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', className: 'form-check-input me-1', value: f.path });
    box.dataset.folder = f.name;
    label.append(box, `${f.name} `, Object.assign(document.createElement('span'), { className: 'badge text-bg-secondary', textContent: f.symlinks }));
    const open = Object.assign(document.createElement('button'), { type: 'button', className: 'btn btn-link btn-sm p-0 ms-1', textContent: '▸' });
    const sub = Object.assign(document.createElement('ul'), { className: 'list-unstyled ms-3' });
    open.addEventListener('click', () => { if (!sub.children.length) loadFolders(f.path, sub); else sub.replaceChildren(); });
    li.append(open, label, sub);
    return li;
  }));
}

function showCounts(counts) {
  $('scan-counts').replaceChildren(...Object.entries(counts).filter(([, n]) => n).map(([k, n]) => {
    const badge = Object.assign(document.createElement('span'), { className: 'badge text-bg-warning', textContent: `${word('health', k)} : ${n}` });
    badge.dataset.category = k;
    badge.dataset.count = n;
    return badge;
  }));
}

function showResults(scan) {
  const filter = $('result-filter');
  const chosen = filter.value;
  const categories = [...new Set((scan.findings || []).map((f) => f.category))];
  filter.replaceChildren(filter.options[0], ...categories.map((c) => new Option(word('health', c), c, false, c === chosen)));
  const rows = (scan.findings || []).filter((f) => !filter.value || f.category === filter.value);
  const table = $('scan-results');
  const real = scan.mode === 'real' && scan.state === 'completed';
  document.querySelector('#scan-results tbody').replaceChildren(...rows.map((f) => {
    const tr = document.createElement('tr');
    tr.dataset.category = f.category;
    const pick = document.createElement('td');
    pick.className = 'text-center';
    if (real && f.deletable) {
      const box = Object.assign(document.createElement('input'), { type: 'checkbox', className: 'form-check-input', checked: !unchecked.has(f.path) });
      box.dataset.path = f.path;
      box.setAttribute('aria-label', `${table.dataset.selectText}: ${f.path}`);
      box.addEventListener('change', () => { if (box.checked) unchecked.delete(f.path); else unchecked.add(f.path); updateDeleteButton(); });
      pick.append(box);
    }
    const path = Object.assign(document.createElement('td'), { className: 'small text-break', textContent: f.path });
    const category = Object.assign(document.createElement('td'), { className: 'small', textContent: word('health', f.category) });
    const detail = Object.assign(document.createElement('td'), { className: 'small text-break' });
    if (f.detail) {
      const more = document.createElement('details');
      more.append(Object.assign(document.createElement('summary'), { textContent: table.dataset.detailsText }),
        Object.assign(document.createElement('code'), { className: 'small', textContent: f.detail }));
      detail.append(more);
    }
    if (!f.deletable) {
      tr.dataset.kept = '1';
      detail.append(Object.assign(document.createElement('span'), { className: 'badge text-bg-secondary ms-1', textContent: table.dataset.keptText }));
    }
    tr.append(pick, path, category, detail);
    return tr;
  }));
  updateDeleteButton();
}

// the deletable findings the user left ticked
const unchecked = new Set();
const chosen = () => (current ? current.findings.filter((f) => f.deletable && !unchecked.has(f.path)) : []);
function updateDeleteButton() {
  const ok = current && current.mode === 'real' && current.state === 'completed' && chosen().length > 0;
  $('delete-open').classList.toggle('d-none', !ok);
}

async function poll() {
  if (!current) return;
  const scan = await api('GET', `/api/symlink/scans/${current.id}`, undefined, { quiet: true }).catch(() => null);
  if (!scan) return;
  current = scan;
  const pct = scan.total ? Math.round((scan.done / scan.total) * 100) : 0;
  $('scan-progress').dataset.state = scan.state;
  $('scan-phase').textContent = `${word('health', scan.state)} · ${word('health', scan.phase)} · ${scan.done}/${scan.total}${scan.estimate_s != null ? ` · ~${scan.estimate_s} s` : ''}`;
  $('scan-eta').textContent = scan.eta_s != null ? `${word('words', 'eta')} ${scan.eta_s} s · ${scan.rate}/s` : '';
  $('scan-bar').style.width = `${pct}%`;
  showCounts(scan.counts);
  showResults(scan);
  if (!['pending', 'running'].includes(scan.state)) { clearInterval(timer); timer = null; }
}

async function start(body) {
  unchecked.clear();
  const scan = await api('POST', '/api/symlink/scans', body).catch(() => null);
  if (!scan) return;
  current = scan;
  $('scan-progress').classList.remove('d-none');
  window.bootstrap.Tab.getOrCreateInstance($('scanner-tab')).show();
  // the scan's progress arrives on the event stream; the timer only runs while the stream is down
  clearInterval(timer);
  timer = setInterval(() => { if (document.documentElement.dataset.live !== 'open') poll(); }, 3000);
  poll();
}

const pollSoon = throttled(() => { if (timer) poll(); }, 300);
on('health.progress', (data) => { if (current && data.id === current.id) pollSoon(); });
on('health.finished', (data) => { if (current && data.id === current.id) poll(); });

$('scan-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const paths = [...document.querySelectorAll('#folder-tree input:checked')].map((b) => b.value);
  start({ paths, mode: $('scan-mode').value, depth: $('scan-depth').value, include_files: $('scan-files').checked });
});
document.querySelectorAll('[data-again]').forEach((b) => b.addEventListener('click', () => start(JSON.parse(b.dataset.again))));
$('scan-cancel').addEventListener('click', () => current && api('POST', `/api/symlink/scans/${current.id}/cancel`).catch(() => null));
$('result-filter').addEventListener('change', () => current && showResults(current));

$('delete-open').addEventListener('click', () => {
  const deletable = chosen();
  $('delete-list').replaceChildren(...deletable.map((f) => Object.assign(document.createElement('li'), { textContent: `${f.path} (${word('health', f.category)})` })));
  window.bootstrap.Modal.getOrCreateInstance($('delete-modal')).show();
});
$('delete-confirm').addEventListener('click', async () => {
  const paths = chosen().map((f) => f.path);
  const answer = await api('POST', `/api/symlink/scans/${current.id}/delete`, { paths, search: $('delete-search').checked }).catch(() => null);
  window.bootstrap.Modal.getOrCreateInstance($('delete-modal')).hide();
  if (!answer) return;
  const gone = new Set(answer.deleted);
  current.findings = current.findings.filter((f) => !gone.has(f.path));
  showResults(current);
  const counts = {};
  current.findings.forEach((f) => { counts[f.category] = (counts[f.category] || 0) + 1; });
  showCounts(counts);
  const message = $('delete-modal').dataset.doneText
    .replace('{deleted}', answer.deleted.length).replace('{skipped}', answer.skipped.length)
    .replace('{failed}', answer.failed.length).replace('{rescans}', answer.arr.length);
  const reasons = [...answer.skipped.map((i) => `${i.path}: ${i.reason}`), ...answer.failed.map((i) => `${i.path}: ${i.error}`)];
  toast(reasons.length ? `${message} — ${reasons.join(' · ')}` : message, reasons.length ? 'warning' : 'success');
});

// settings
async function loadSettings() {
  const c = await api('GET', '/api/symlink/config').catch(() => null);
  if (!c) return;
  $('hs-root').value = c.media_root;
  $('hs-workers').value = c.health_workers;
  $('hs-min').value = c.health_min_size_kib;
  $('hs-map').value = JSON.stringify(c.health_path_mappings, null, 1);
}
$('health-settings').addEventListener('submit', async (event) => {
  event.preventDefault();
  let mappings;
  try { mappings = JSON.parse($('hs-map').value || '[]'); } catch (err) { toast(err.message); return; }
  const saved = await api('POST', '/api/symlink/config', { media_root: $('hs-root').value, health_workers: Number($('hs-workers').value), health_min_size_kib: Number($('hs-min').value), health_path_mappings: mappings }).catch(() => null);
  if (saved) {
    toast(event.target.dataset.savedText, 'success');
    loadFolders(null, $('folder-tree'));
  }
});
document.querySelectorAll('[data-health-test]').forEach((b) => b.addEventListener('click', async () => {
  const r = await api('POST', `/api/symlink/services/test/${b.dataset.healthTest}`).catch(() => null);
  if (r) $('health-test-result').textContent = `${r.service}: ${r.ok ? '✔' : '✘'} ${r.message}`;
}));
$('docker-detect').addEventListener('click', async () => {
  const r = await api('GET', '/api/symlink/services/detect').catch(() => null);
  if (r) $('health-test-result').textContent = `${r.message} ${r.services.map((s) => `${s.service} → ${s.url}`).join(', ')}`;
});

$('map-test').addEventListener('click', async () => {
  const r = await api('GET', `/api/symlink/map?path=${encodeURIComponent($('map-path').value)}`).catch(() => null);
  if (r) $('map-result').textContent = r.arr_path ? `${r.path} → ${r.arr_path}` : $('map-result').dataset.noneText;
});

loadFolders(null, $('folder-tree'));
loadSettings();

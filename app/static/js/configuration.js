import { api, confirmDialog, toast, toastAfterReload } from './api.js';

const form = document.getElementById('settings-form');
const text = (key) => form.dataset[key] || key;

function readField(input) {
  const kind = input.dataset.kind;
  if (kind === 'secret') return input.value === '' ? null : input.value;
  if (kind === 'int') return input.value === '' ? null : Number(input.value);
  if (kind === 'json') {
    try {
      return JSON.parse(input.value);
    } catch (err) {
      throw new Error(`${input.name}: ${err.message}`);
    }
  }
  return input.value;
}

function collect(group) {
  const values = {};
  const selector = group ? `[data-group="${group}"] [data-setting]` : '[data-setting]';
  form.querySelectorAll(selector).forEach((input) => {
    if (input.disabled) return;
    const value = readField(input);
    if (input.dataset.kind === 'secret' && value === null) return;
    values[input.name] = value;
  });
  return values;
}

// -- structured editors: rows instead of raw JSON (the hidden textarea keeps the JSON that is saved) ----
const cols = {
  indexers: [['name', 'text'], ['url', 'url'], ['api_key', 'password']],
  mappings: [['local', 'text'], ['arr', 'text']],
};

function rowsTable(columns, rows, onChange) {
  const wrap = document.createElement('div');
  const table = Object.assign(document.createElement('table'), { className: 'table table-sm mb-1 align-middle' });
  const head = document.createElement('tr');
  columns.forEach(([name]) => head.append(Object.assign(document.createElement('th'), { className: 'small fw-normal text-body-secondary', textContent: text(`col${name[0].toUpperCase()}${name.slice(1).replace(/_/g, '')}Text`) })));
  head.append(document.createElement('th'));
  const body = document.createElement('tbody');
  const addRow = (values) => {
    const tr = document.createElement('tr');
    columns.forEach(([name, type], i) => {
      const td = document.createElement('td');
      const input = Object.assign(document.createElement('input'), { className: 'form-control form-control-sm', type: type === 'number' ? 'number' : (type === 'password' ? 'password' : 'text'), value: values[i] ?? '' });
      input.dataset.col = name;
      input.setAttribute('aria-label', head.children[i].textContent);
      input.addEventListener('input', onChange);
      td.append(input);
      tr.append(td);
    });
    const remove = Object.assign(document.createElement('button'), { type: 'button', className: 'btn btn-sm btn-outline-danger', innerHTML: '<i class="bi bi-x-lg" aria-hidden="true"></i>' });
    remove.setAttribute('aria-label', text('removeRowText'));
    remove.title = text('removeRowText');
    remove.addEventListener('click', () => { tr.remove(); onChange(); });
    tr.append(Object.assign(document.createElement('td'), { className: 'text-end' }));
    tr.lastChild.append(remove);
    body.append(tr);
  };
  rows.forEach(addRow);
  table.append(Object.assign(document.createElement('thead'), {}), body);
  table.tHead.append(head);
  const add = Object.assign(document.createElement('button'), { type: 'button', className: 'btn btn-sm btn-outline-light', innerHTML: '<i class="bi bi-plus-lg" aria-hidden="true"></i> ' });
  add.append(text('addRowText'));
  add.addEventListener('click', () => { addRow(columns.map(() => '')); onChange(); });
  wrap.append(Object.assign(document.createElement('div'), { className: 'table-responsive' }), add);
  wrap.firstChild.append(table);
  wrap.read = () => [...body.rows].map((tr) => [...tr.querySelectorAll('input')].map((input) => input.value));
  return wrap;
}

function section(title, child) {
  const box = Object.assign(document.createElement('div'), { className: 'mb-2' });
  box.append(Object.assign(document.createElement('div'), { className: 'small fw-semibold', textContent: title }), child);
  return box;
}

const editors = {
  indexers(value, save) {
    const table = rowsTable(cols.indexers, value.map((i) => [i.name, i.url, i.api_key]), () => save(
      table.read().filter((r) => r.some(Boolean)).map(([name, url, key]) => ({ name, url, api_key: key }))));
    return table;
  },
  mappings(value, save) {
    const table = rowsTable(cols.mappings, value.map((m) => [m.local, m.arr]), () => save(
      table.read().filter((r) => r.some(Boolean)).map(([local, arr]) => ({ local, arr }))));
    return table;
  },
  extensions(value, save) {
    const table = rowsTable([['extension', 'text']], value.map((e) => [e]), () => save(
      table.read().map(([e]) => e.trim()).filter(Boolean)));
    return table;
  },
  weights(value, save) {
    const box = document.createElement('div');
    const parts = {};
    const write = () => {
      const out = {};
      ['audio', 'video', 'source'].forEach((k) => {
        out[k] = Object.fromEntries(parts[k].read().filter(([n]) => n.trim()).map(([n, p]) => [n.trim(), Number(p)]));
      });
      out.reliability = parts.reliability.read().filter(([a]) => a !== '').map(([a, p]) => [Number(a), Number(p)]);
      save({ ...value, ...out });
    };
    ['audio', 'video', 'source'].forEach((k) => {
      parts[k] = rowsTable([['name', 'text'], ['points', 'number']], Object.entries(value[k] || {}), write);
      box.append(section(text(`section${k[0].toUpperCase()}${k.slice(1)}Text`), parts[k]));
    });
    parts.reliability = rowsTable([['seeders', 'number'], ['points', 'number']], value.reliability || [], write);
    box.append(section(text('sectionReliabilityText'), parts.reliability));
    return box;
  },
  aliases(value, save) {
    const box = document.createElement('div');
    const parts = {};
    const write = () => save(Object.fromEntries(Object.keys(parts).map((k) => [k, Object.fromEntries(
      parts[k].read().filter(([a]) => a.trim()).map(([a, tokens]) => [a.trim(), tokens.split(',').map((x) => x.trim()).filter(Boolean)]))])));
    Object.entries(value).forEach(([category, aliases]) => {
      parts[category] = rowsTable([['alias', 'text'], ['tokens', 'text']], Object.entries(aliases).map(([a, tokens]) => [a, tokens.join(', ')]), write);
      box.append(section(text(`section${category[0].toUpperCase()}${category.slice(1)}Text`), parts[category]));
    });
    return box;
  },
};

form.querySelectorAll('textarea[data-editor]').forEach((area) => {
  const holder = form.querySelector(`[data-editor-for="${area.id}"]`);
  if (!holder) return;
  let value;
  try { value = JSON.parse(area.value); } catch { return; }
  const save = (next) => { area.value = JSON.stringify(next, null, 1); markDirty(); };
  holder.append(editors[area.dataset.editor](value, save));
});

// -- unsaved changes -----------------------------------------------------------------------------------
let dirty = false;
function markDirty() { dirty = true; }
form.addEventListener('input', markDirty);
window.addEventListener('beforeunload', (event) => {
  if (!dirty) return;
  event.preventDefault();
  event.returnValue = '';
});

function markErrors(fields) {
  form.querySelectorAll('.is-invalid').forEach((el) => el.classList.remove('is-invalid'));
  form.querySelectorAll('[data-error-for]').forEach((el) => { el.textContent = ''; el.classList.remove('d-block'); });
  Object.entries(fields || {}).forEach(([name, message]) => {
    const field = name.split('.')[0];
    form.querySelector(`[name="${field}"]`)?.classList.add('is-invalid');
    form.querySelector(`[data-editor-for="s-${field}"]`)?.classList.add('is-invalid');
    const slot = form.querySelector(`[data-error-for="${field}"]`);
    if (slot) {
      slot.textContent = message;
      slot.classList.add('d-block');  // shown next to the field, also under a structured editor
    }
  });
  form.querySelector('.is-invalid')?.scrollIntoView({ block: 'center' });
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  let values;
  try {
    values = collect();
  } catch (err) {
    toast(err.message);
    return;
  }
  try {
    await api('PUT', '/api/settings', { values });
    markErrors({});
    dirty = false;
    form.querySelectorAll('[data-kind="secret"]').forEach((input) => { input.value = ''; });
    toast(text('savedText'), 'success');
  } catch (err) {
    markErrors(err.fields);
  }
});

document.querySelectorAll('[data-test-service]').forEach((button) => {
  button.addEventListener('click', async () => {
    const service = button.dataset.testService;
    const out = document.querySelector(`[data-test-result="${service}"]`);
    out.className = 'small text-body-secondary';
    out.textContent = text('testingText');
    button.disabled = true;
    try {
      const report = await api('POST', `/api/settings/test/${service}`, { values: collect(button.dataset.group) });
      out.className = `small ${report.ok ? 'mms-state-ok' : 'mms-state-bad'}`;
      out.dataset.code = report.code;
      out.textContent = `${report.ok ? '✔' : '✘'} ${report.message} (${report.elapsed_ms} ms)`;
      if (report.code === 'host_key_changed' && report.host_key) offerTrust(out, report.host_key.presented);
    } catch (err) {
      out.className = 'small mms-state-bad';
      out.dataset.code = err.code;
      out.textContent = `✘ ${err.message}`;
    } finally {
      button.disabled = false;
    }
  });
});

// A changed seedbox host key: trusting the new one is an explicit act, with the fingerprint shown.
function offerTrust(out, presented) {
  const trust = document.createElement('button');
  trust.type = 'button';
  trust.className = 'btn btn-sm btn-outline-warning ms-2';
  trust.textContent = `${text('trustKeyText')} ${presented}`;
  trust.addEventListener('click', async () => {
    trust.disabled = true;
    const answer = await api('POST', '/api/settings/sftp/host-key/trust', { fingerprint: presented }).catch(() => null);
    if (answer) {
      out.className = 'small mms-state-ok';
      out.textContent = `✔ ${text('trustedText')} ${answer.pinned.fingerprint}`;
    } else {
      trust.disabled = false;
    }
  });
  out.append(trust);
}

// Backups
document.getElementById('backup-create')?.addEventListener('click', async () => {
  const info = await api('POST', '/api/backups');
  toastAfterReload(`${text('backupCreatedText')} ${info.name}`);
  window.location.reload();
});

document.querySelectorAll('[data-backup-delete]').forEach((button) => {
  button.addEventListener('click', async () => {
    const answer = await confirmDialog({ title: text('confirmDeleteText'), body: button.dataset.backupDelete,
      actions: [{ value: 'delete', label: text('deleteText'), kind: 'danger' }] });
    if (answer !== 'delete') return;
    await api('DELETE', `/api/backups/${encodeURIComponent(button.dataset.backupDelete)}`);
    window.location.reload();
  });
});

document.querySelectorAll('[data-backup-restore]').forEach((button) => {
  button.addEventListener('click', async () => {
    const answer = await confirmDialog({ title: text('confirmRestoreText'), body: button.dataset.backupRestore,
      actions: [{ value: 'restore', label: text('restoreText'), kind: 'warning' }] });
    if (answer !== 'restore') return;
    const result = await api('POST', `/api/backups/${encodeURIComponent(button.dataset.backupRestore)}/restore`);
    toastAfterReload(`${text('restoredText')} ${result.restored.join(', ')}`);
    window.location.reload();
  });
});

document.getElementById('backup-upload')?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  const result = await api('POST', '/api/backups/restore', data);
  toastAfterReload(`${text('restoredText')} ${result.restored.join(', ')}`);
  window.location.reload();
});

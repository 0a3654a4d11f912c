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

function markErrors(fields) {
  form.querySelectorAll('.is-invalid').forEach((el) => el.classList.remove('is-invalid'));
  Object.keys(fields || {}).forEach((name) => {
    form.querySelector(`[name="${name}"]`)?.classList.add('is-invalid');
  });
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

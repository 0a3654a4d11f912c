// The one fetch wrapper: sends the CSRF token, parses JSON, turns API errors into toasts.
const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content ?? '';

export class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || {};
  }
}

let catalog = null;

// A word from the page's catalog (app/i18n.py), e.g. t('states', 'transfer_failed'); the key itself
// when the catalog does not have it.
export function t(table, key) {
  if (catalog === null) {
    const block = document.getElementById('mms-i18n');
    try { catalog = block ? JSON.parse(block.textContent) : {}; } catch { catalog = {}; }
  }
  return (catalog[table] && catalog[table][key]) || key;
}

// A size in bytes in the page's language: size(1.5e9) -> "1,5 Go" in French, "1.5 GB" in English.
export function size(bytes) {
  if (bytes == null) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = Number(bytes);
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) { value /= 1000; unit += 1; }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  const number = new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: digits }).format(value);
  return `${number} ${t('units', units[unit])}`;
}

// A time (ISO 8601) in the browser's own time zone, the zone shown: "1 déc. 2026, 21:30 UTC+1".
export function localTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  // dateStyle/timeStyle cannot be combined with timeZoneName: the parts are named one by one
  return new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
  }).format(date);
}

// A toast that is shown after the reload the caller is about to do (success messages survive it).
export function toastAfterReload(message, kind = 'success') {
  const pending = JSON.parse(sessionStorage.getItem('mms-toasts') || '[]');
  pending.push([message, kind]);
  sessionStorage.setItem('mms-toasts', JSON.stringify(pending));
}

// The one confirmation dialog: confirmDialog({title, body, actions: [{value, label, kind}]}) resolves with
// the chosen action's value, or null when dismissed. Replaces the browser's confirm() boxes.
export function confirmDialog({ title, body = '', items = [], actions }) {
  const el = document.getElementById('mms-confirm');
  document.getElementById('mms-confirm-title').textContent = title;
  const content = document.getElementById('mms-confirm-body');
  content.replaceChildren(Object.assign(document.createElement('p'), { textContent: body }));
  if (items.length) {
    const list = Object.assign(document.createElement('ul'), { className: 'small text-break mb-0' });
    items.forEach((item) => list.append(Object.assign(document.createElement('li'), { textContent: item })));
    content.append(list);
  }
  const footer = document.getElementById('mms-confirm-actions');
  const modal = window.bootstrap.Modal.getOrCreateInstance(el);
  return new Promise((resolve) => {
    let answer = null;
    const cancel = Object.assign(document.createElement('button'), { type: 'button', className: 'btn btn-outline-light', textContent: footer.dataset.cancelText });
    cancel.dataset.bsDismiss = 'modal';
    footer.replaceChildren(cancel, ...actions.map((action) => {
      const button = Object.assign(document.createElement('button'), { type: 'button', className: `btn btn-${action.kind || 'primary'}`, textContent: action.label });
      button.dataset.confirmValue = action.value;
      button.addEventListener('click', () => { answer = action.value; modal.hide(); });
      return button;
    }));
    el.addEventListener('hidden.bs.modal', () => resolve(answer), { once: true });
    modal.show();
  });
}

// A button that runs one request: disabled and showing its data-running-text meanwhile; on success `done(result)`
// may leave a toast, then the page reloads; on failure (the fetch wrapper showed why) the button comes back.
export function reloadAfter(button, method, url, body, done = () => {}) {
  button.addEventListener('click', async () => {
    const label = button.textContent;
    button.disabled = true;
    if (button.dataset.runningText) button.textContent = button.dataset.runningText;
    try {
      done(await api(method, url, body));
      window.location.reload();
    } catch {
      button.disabled = false;
      button.textContent = label;
    }
  });
}

export function toast(message, kind = 'danger') {
  const box = document.getElementById('mms-toasts');
  if (!box) return;
  const el = document.createElement('div');
  el.className = `toast align-items-center text-bg-${kind} border-0`;
  el.setAttribute('role', kind === 'danger' ? 'alert' : 'status');
  el.dataset.kind = kind;
  const row = document.createElement('div');
  row.className = 'd-flex';
  const body = document.createElement('div');
  body.className = 'toast-body';
  body.textContent = message;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'btn-close btn-close-white me-2 m-auto';
  close.setAttribute('data-bs-dismiss', 'toast');
  close.setAttribute('aria-label', t('words', 'close'));
  row.append(body, close);
  el.append(row);
  box.append(el);
  const shown = window.bootstrap.Toast.getOrCreateInstance(el, { delay: kind === 'danger' ? 10000 : 4000 });
  el.addEventListener('hidden.bs.toast', () => el.remove());
  shown.show();
}

// api('PUT', '/api/settings', {values}) -> parsed JSON; throws ApiError (already shown as a toast
// unless {quiet: true}).
export async function api(method, url, body, { quiet = false } = {}) {
  const headers = { 'X-CSRFToken': csrfToken(), Accept: 'application/json' };
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body: payload, credentials: 'same-origin' });
  } catch (err) {
    const e = new ApiError(0, 'network', `${t('words', 'offline')} (${err.message})`);
    if (!quiet) toast(e.message);
    throw e;
  }
  const isJson = (response.headers.get('Content-Type') || '').includes('application/json');
  const data = isJson ? await response.json() : null;
  if (!response.ok) {
    const info = data?.error ?? { code: 'http_' + response.status, message: response.statusText };
    const e = new ApiError(response.status, info.code, info.message, info.fields);
    if (!quiet) {
      const details = Object.entries(e.fields).map(([k, v]) => `${k}: ${v}`).join('; ');
      toast(details ? `${e.message} — ${details}` : e.message);
    }
    throw e;
  }
  return data;
}

window.MMS = { api, toast, ApiError };

// toasts left by toastAfterReload before the page reloaded; server times shown in the local time zone
window.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('time[data-local]').forEach((el) => { el.textContent = localTime(el.getAttribute('datetime')); });
  const pending = JSON.parse(sessionStorage.getItem('mms-toasts') || '[]');
  sessionStorage.removeItem('mms-toasts');
  pending.forEach(([message, kind]) => toast(message, kind));
});

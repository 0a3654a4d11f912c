// The Notifications page: add a target, change its events, send a test, remove it.
import { api, confirmDialog, reloadAfter, toastAfterReload } from './api.js';

const checked = (form) => [...form.querySelectorAll('input[name=events]:checked')].map((box) => box.value);

const add = document.getElementById('notif-add');
add?.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const target = await api('POST', '/api/notifications/targets', {
      name: add.elements.name.value.trim(), url: add.elements.url.value.trim(), events: checked(add),
    });
    toastAfterReload(target.name);
    window.location.reload();
  } catch {
    // the fetch wrapper already showed the error
  }
});

document.querySelectorAll('form[data-events]').forEach((form) => {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('PUT', `/api/notifications/targets/${encodeURIComponent(form.dataset.events)}`, {
        events: checked(form), enabled: form.elements.enabled.checked,
      });
      window.location.reload();
    } catch {
      // shown by the wrapper
    }
  });
});

document.querySelectorAll('[data-test]').forEach((button) => {
  reloadAfter(button, 'POST', `/api/notifications/targets/${encodeURIComponent(button.dataset.test)}/test`, {});
});

document.querySelectorAll('[data-remove]').forEach((button) => {
  button.addEventListener('click', async () => {
    const answer = await confirmDialog({ title: button.textContent, body: button.dataset.confirm,
      actions: [{ label: button.textContent, kind: 'danger', value: 'remove' }] });
    if (answer !== 'remove') return;
    try {
      await api('DELETE', `/api/notifications/targets/${encodeURIComponent(button.dataset.remove)}`);
      window.location.reload();
    } catch {
      // shown by the wrapper
    }
  });
});

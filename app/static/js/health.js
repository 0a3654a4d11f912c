import { api, confirmDialog, reloadAfter, toastAfterReload } from './api.js';

document.querySelectorAll('[data-store-reset]').forEach((button) => {
  button.addEventListener('click', async () => {
    const answer = await confirmDialog({ title: button.dataset.confirmText, body: button.dataset.storeReset,
      actions: [{ value: 'reset', label: button.textContent.trim(), kind: 'danger' }] });
    if (answer !== 'reset') return;
    button.disabled = true;
    try {
      const result = await api('POST', `/api/stores/${encodeURIComponent(button.dataset.storeReset)}/reset`);
      toastAfterReload(`${button.dataset.storeReset}: ${result.kept_at}`);
      window.location.reload();
    } catch {
      button.disabled = false; // the fetch wrapper already showed the error
    }
  });
});

const checkAll = document.getElementById('check-services');
if (checkAll) reloadAfter(checkAll, 'POST', '/api/services/check');

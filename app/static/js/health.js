import { api, toast } from './api.js';

document.querySelectorAll('[data-store-reset]').forEach((button) => {
  button.addEventListener('click', async () => {
    if (!window.confirm(button.dataset.confirmText)) return;
    button.disabled = true;
    try {
      const result = await api('POST', `/api/stores/${encodeURIComponent(button.dataset.storeReset)}/reset`);
      toast(`${button.dataset.storeReset}: ${result.kept_at}`, 'success');
      window.location.reload();
    } catch {
      button.disabled = false; // the fetch wrapper already showed the error
    }
  });
});

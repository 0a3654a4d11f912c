import { api, toast } from './api.js';

document.querySelectorAll('[data-store-reset]').forEach((button) => {
  button.addEventListener('click', async () => {
    if (!window.confirm(button.dataset.confirmText)) return;
    const result = await api('POST', `/api/stores/${encodeURIComponent(button.dataset.storeReset)}/reset`);
    toast(`${button.dataset.storeReset}: ${result.kept_at}`, 'success');
    window.location.reload();
  });
});

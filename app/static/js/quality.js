// The quality page: "measure new files now" runs a scan, then shows the result.
import { api, toastAfterReload } from './api.js';

const button = document.getElementById('quality-scan');
if (button) {
  button.addEventListener('click', async () => {
    const label = button.textContent;
    button.disabled = true;
    button.textContent = button.dataset.runningText;
    try {
      const counts = await api('POST', '/api/quality/scan');
      toastAfterReload(button.dataset.doneText.replace('{probed}', counts.probed).replace('{cached}', counts.cached));
      window.location.reload();
    } catch {
      button.disabled = false; // the fetch wrapper already showed the error
      button.textContent = label;
    }
  });
}

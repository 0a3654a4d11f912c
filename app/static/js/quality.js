// The quality page: "measure new files now" runs a scan, then shows the result.
import { reloadAfter, toastAfterReload } from './api.js';

const button = document.getElementById('quality-scan');
if (button) {
  reloadAfter(button, 'POST', '/api/quality/scan', undefined, (counts) => toastAfterReload(
    button.dataset.doneText.replace('{probed}', counts.probed).replace('{cached}', counts.cached)));
}

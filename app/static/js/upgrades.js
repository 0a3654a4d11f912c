// The upgrades page: check now, grab or dismiss a candidate, edit a rule's gain / auto-grab / on.
import { api, reloadAfter, toastAfterReload } from './api.js';

const check = document.getElementById('upgrades-check');
if (check) {
  reloadAfter(check, 'POST', '/api/upgrades/check', {}, (result) => toastAfterReload(
    check.dataset.doneText.replace('{checked}', result.checked).replace('{candidates}', result.candidates)));
}

document.querySelectorAll('[data-apply], [data-dismiss]').forEach((button) => {
  button.addEventListener('click', async () => {
    const id = button.dataset.apply || button.dataset.dismiss;
    const action = button.dataset.apply ? 'apply' : 'dismiss';
    button.disabled = true;
    try {
      await api('POST', `/api/upgrades/candidates/${encodeURIComponent(id)}/${action}`, {});
      window.location.reload();
    } catch {
      button.disabled = false;
    }
  });
});

document.querySelectorAll('#upgrade-rules tr[data-rule]').forEach((row) => {
  row.querySelectorAll('[data-field]').forEach((input) => {
    input.addEventListener('change', async () => {
      const body = JSON.parse(row.dataset.body);
      for (const field of row.querySelectorAll('[data-field]')) {
        body[field.dataset.field] = field.type === 'checkbox' ? field.checked : Number(field.value);
      }
      try {
        const saved = await api('PUT', `/api/upgrades/rules/${encodeURIComponent(row.dataset.rule)}`, body);
        row.dataset.body = JSON.stringify(saved);
        row.classList.add('mms-saved');
      } catch {
        input.classList.add('is-invalid');
      }
    });
  });
});

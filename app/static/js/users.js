// The Users page (admins: add, role, disable, reset password) and My account (language, password, sessions).
import { api, toastAfterReload } from './api.js';

const add = document.getElementById('user-add');
add?.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const user = await api('POST', '/api/users', {
      username: add.elements.username.value.trim(), password: add.elements.password.value, role: add.elements.role.value,
    });
    toastAfterReload(user.username);
    window.location.reload();
  } catch {
    // the fetch wrapper already showed the error
  }
});

const change = async (row, body) => {
  try {
    await api('PUT', `/api/users/${encodeURIComponent(row.dataset.user)}`, body);
    window.location.reload();
  } catch {
    // shown by the wrapper
  }
};
document.querySelectorAll('tr[data-user]').forEach((row) => {
  row.querySelector('[data-role]').addEventListener('change', (event) => change(row, { role: event.target.value }));
  const toggle = row.querySelector('[data-toggle-disabled]');
  toggle.addEventListener('click', () => change(row, { disabled: toggle.dataset.toggleDisabled === 'disable' }));
  const quota = row.querySelector('[data-quota-form]');
  quota?.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = (name) => (quota.elements[name].value === '' ? null : Number(quota.elements[name].value));
    change(row, { quota: { movies: value('movies'), seasons: value('seasons'), days: value('days') } });
  });
  const reset = row.querySelector('[data-reset]');
  reset.addEventListener('click', () => {
    const password = window.prompt(reset.dataset.prompt);
    if (password) change(row, { password });
  });
});

const language = document.getElementById('account-language');
language?.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await api('PUT', '/api/account', { language: language.elements.language.value });
    window.location.reload();
  } catch {
    // shown by the wrapper
  }
});

const password = document.getElementById('account-password');
password?.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await api('POST', '/api/account/password', { current: password.elements.current.value, new: password.elements.new.value });
    window.location.assign('/login');
  } catch {
    // shown by the wrapper
  }
});

document.querySelectorAll('[data-revoke]').forEach((button) => {
  button.addEventListener('click', async () => {
    try {
      await api('DELETE', `/api/account/sessions/${encodeURIComponent(button.dataset.revoke)}`);
      window.location.reload();
    } catch {
      // shown by the wrapper
    }
  });
});

// My account: the user's own notification targets (news of their requests).
const ownAdd = document.getElementById('own-target-add');
ownAdd?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const events = [...ownAdd.querySelectorAll('input[name=events]:checked')].map((box) => box.value);
  try {
    await api('POST', '/api/account/notifications', {
      name: ownAdd.elements.name.value.trim(), url: ownAdd.elements.url.value.trim(), events,
    });
    window.location.reload();
  } catch {
    // shown by the wrapper
  }
});
document.querySelectorAll('[data-own-target]').forEach((row) => {
  const id = encodeURIComponent(row.dataset.ownTarget);
  row.querySelector('[data-own-test]').addEventListener('click', async () => {
    try {
      await api('POST', `/api/account/notifications/${id}/test`);
      window.location.reload();
    } catch {
      // shown by the wrapper
    }
  });
  row.querySelector('[data-own-delete]').addEventListener('click', async () => {
    try {
      await api('DELETE', `/api/account/notifications/${id}`);
      window.location.reload();
    } catch {
      // shown by the wrapper
    }
  });
});

// The assistant page: the report's recommendations (apply after a confirmation, dismiss), and the chat, whose
// answers stream as NDJSON events (text, tool, proposal, error, done); proposals are confirmed here.
import { api, confirmDialog, toast } from './api.js';

const $ = (id) => document.getElementById(id);
const chatBox = $('assistant-chat');
const log = $('chat-log');
let conversationId = '';

const makeReport = $('assistant-make-report');
makeReport?.addEventListener('click', async () => {
  makeReport.disabled = true;
  makeReport.textContent = makeReport.dataset.working;
  try {
    await api('POST', '/api/assistant/report');
    window.location.reload();
  } catch {
    window.location.reload();
  }
});

document.querySelectorAll('[data-recommendation]').forEach((card) => {
  const id = card.dataset.recommendation;
  card.querySelector('[data-apply]')?.addEventListener('click', async (event) => {
    const button = event.currentTarget;
    const chosen = await confirmDialog({ title: button.dataset.question, actions: [{ value: 'yes', label: button.textContent, kind: 'primary' }] });
    if (chosen !== 'yes') return;
    try {
      await api('POST', `/api/assistant/recommendations/${id}/apply`, { confirm: true });
    } catch {
      return;
    }
    window.location.reload();
  });
  card.querySelector('[data-dismiss-rec]')?.addEventListener('click', async () => {
    try {
      await api('POST', `/api/assistant/recommendations/${id}/dismiss`);
      window.location.reload();
    } catch {
      // shown by the wrapper
    }
  });
});

function bubble(who, text) {
  const row = document.createElement('div');
  row.className = who === 'user' ? 'text-end' : '';
  row.dataset.role = who;
  const label = Object.assign(document.createElement('div'), { className: 'text-body-secondary', textContent: who === 'user' ? chatBox.dataset.you : chatBox.dataset.assistant });
  const body = Object.assign(document.createElement('div'), { className: 'text-break mms-prewrap', textContent: text });
  row.append(label, body);
  log.append(row);
  return body;
}

function proposalCard(event) {
  const card = document.createElement('div');
  card.className = 'card border-warning';
  card.dataset.proposal = event.id;
  const body = document.createElement('div');
  body.className = 'card-body p-2 d-flex flex-wrap gap-2 align-items-center';
  const text = Object.assign(document.createElement('span'), { className: 'me-auto text-break', textContent: `${chatBox.dataset.proposalText} ${event.label}` });
  const yes = Object.assign(document.createElement('button'), { type: 'button', className: 'btn btn-sm btn-warning', textContent: chatBox.dataset.applyText });
  const no = Object.assign(document.createElement('button'), { type: 'button', className: 'btn btn-sm btn-outline-secondary', textContent: chatBox.dataset.refuseText });
  const settle = async (action) => {
    yes.disabled = true;
    no.disabled = true;
    try {
      const done = await api('POST', `/api/assistant/conversations/${conversationId}/proposals/${event.id}/${action}`);
      card.dataset.state = done.state;
      const word = done.state === 'done' ? chatBox.dataset.doneText : done.state === 'failed' ? chatBox.dataset.failedText : no.textContent;
      text.textContent += ` — ${word}${typeof done.result === 'string' ? ` : ${done.result}` : ''}`;
    } catch {
      yes.disabled = false;
      no.disabled = false;
    }
  };
  yes.addEventListener('click', () => settle('confirm'));
  no.addEventListener('click', () => settle('dismiss'));
  body.append(text, yes, no);
  card.append(body);
  log.append(card);
}

async function send(message) {
  bubble('user', message);
  let answer = null;
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
  const response = await fetch('/api/assistant/chat', {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf, Accept: 'application/x-ndjson' },
    body: JSON.stringify({ message, conversation_id: conversationId || null }),
  });
  if (!response.ok) {
    const error = await response.json().catch(() => null);
    toast(error?.error?.message || response.statusText);
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split('\n');
    buffer = lines.pop();
    for (const line of lines.filter(Boolean)) {
      const event = JSON.parse(line);
      if (event.type === 'conversation') conversationId = event.id;
      if (event.type === 'text') { answer = answer || bubble('assistant', ''); answer.textContent += event.text; }
      if (event.type === 'tool') { const note = bubble('tool', `${event.label}${event.ok ? '' : ' ✘'}`); note.parentElement.classList.add('text-body-secondary', 'fst-italic'); }
      if (event.type === 'proposal') proposalCard(event);
      if (event.type === 'error') { const failed = bubble('assistant', event.message); failed.classList.add('text-danger'); failed.parentElement.dataset.error = 'true'; }
      if (event.type === 'done') log.dataset.done = String(Number(log.dataset.done || 0) + 1);
    }
  }
}

$('chat-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('chat-input');
  const message = input.value.trim();
  if (!message) return;
  input.value = '';
  await send(message).catch((error) => toast(String(error)));
});

$('chat-conversations').addEventListener('change', async (event) => {
  conversationId = event.target.value;
  log.replaceChildren();
  if (!conversationId) return;
  const found = await api('GET', `/api/assistant/conversations/${conversationId}`).catch(() => null);
  if (!found) return;
  found.messages.forEach((m) => bubble(m.role, m.content));
});

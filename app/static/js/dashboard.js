import { api } from './api.js';

const box = document.getElementById('plex-recent');

function card(item) {
  const figure = document.createElement('figure');
  figure.className = 'mb-0 text-center mms-poster';
  figure.dataset.ratingKey = item.rating_key;
  if (item.image) {
    const img = document.createElement('img');
    img.src = item.image;
    img.alt = item.title;
    img.loading = 'lazy';
    img.className = 'rounded';
    img.width = 100;
    img.height = 150;
    figure.append(img);
  }
  const caption = document.createElement('figcaption');
  caption.className = 'small text-truncate';
  caption.style.maxWidth = '100px';
  caption.textContent = item.year ? `${item.title} (${item.year})` : item.title;
  figure.append(caption);
  return figure;
}

async function load() {
  if (!box) return;
  const data = await api('GET', '/api/plex/recent?limit=12', undefined, { quiet: true }).catch((e) => ({ error: e.message, items: [] }));
  box.replaceChildren();
  const note = document.createElement('span');
  note.className = 'small';
  if (data.error) {
    note.classList.add('mms-state-bad');
    note.textContent = data.error;
  } else if (data.configured === false) {
    note.classList.add('text-body-secondary');
    note.textContent = box.dataset.unconfiguredText;
  } else if (!data.items.length) {
    note.classList.add('text-body-secondary');
    note.textContent = box.dataset.emptyText;
  }
  if (note.textContent) box.append(note);
  data.items.forEach((item) => box.append(card(item)));
}

load();

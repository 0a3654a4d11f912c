import { api, ApiError, size, toast } from './api.js';
import { colourTrailerButtons, trailerButtonFor } from './trailers.js';
import { openMapping, sendReleases } from './mapping.js';

const $ = (id) => document.getElementById(id);
const body = document.querySelector('#results tbody');
let results = [];
let sortKey = null;
let sortDir = -1;
let wantedEpisodes = null;  // from a media search: per-episode filter
let lastMedia = null;

const gb = (bytes) => size(bytes);
const age = (hours) => (hours == null ? '' : hours < 48 ? `${Math.round(hours)} h` : `${Math.round(hours / 24)} d`);

function filters() {
  const f = { quality: [], language: [], codec: [], source: [] };
  document.querySelectorAll('[data-filter]:checked').forEach((c) => f[c.dataset.filter].push(c.value));
  if ($('min-seeders').value) f.min_seeders = Number($('min-seeders').value);
  if ($('max-size').value) f.max_size = Math.round(Number($('max-size').value) * 1e9);
  return f;
}

function breakdown(r) {
  const b = r.score_breakdown;
  return `audio ${b.audio} (${b.labels.audio}) + video ${b.video} (${b.labels.video}) + source ${b.source} (${b.labels.source}) + reliability ${b.reliability} (${b.labels.reliability})`;
}

function visible() {
  let rows = results;
  const episode = $('episode-filter').value;
  if (episode) {
    const [s, e] = episode.split('x').map(Number);
    rows = rows.filter((r) => r.seasons.includes(s) && (!r.episodes.length || r.episodes.includes(e)));
  }
  if (sortKey) {
    rows = [...rows].sort((a, b) => {
      const x = a[sortKey] ?? ''; const y = b[sortKey] ?? '';
      return (x > y ? 1 : x < y ? -1 : 0) * sortDir;
    });
  }
  return rows;
}

function render() {
  body.replaceChildren();
  visible().forEach((r) => {
    const tr = document.createElement('tr');
    tr.dataset.id = r.id;
    const cells = [
      () => { const c = document.createElement('input'); c.type = 'checkbox'; c.className = 'form-check-input'; c.dataset.select = r.id; c.setAttribute('aria-label', r.name); return c; },
      () => { const s = document.createElement('span'); s.className = 'small text-break'; s.textContent = r.name; return s; },
      () => { const s = document.createElement('span'); s.className = `badge ${r.score >= 70 ? 'text-bg-success' : r.score >= 45 ? 'text-bg-warning' : 'text-bg-secondary'}`; s.textContent = r.score; s.title = breakdown(r); s.dataset.bsToggle = 'tooltip'; return s; },
      () => r.audio_class,
      () => [r.resolution, r.source, r.codec, ...(r.hdr || [])].filter(Boolean).join(' · '),
      () => gb(r.size),
      () => `${r.seeders ?? '?'}/${r.leechers ?? '?'}`,
      () => age(r.age_hours),
      () => r.indexer,
      () => { const b = document.createElement('button'); b.className = 'btn btn-sm btn-outline-warning'; b.textContent = '➜'; b.title = 'send'; b.dataset.send = r.id; return b; },
    ];
    cells.forEach((make) => {
      const td = document.createElement('td');
      const v = make();
      if (v instanceof Node) td.append(v); else td.textContent = v ?? '';
      tr.append(td);
    });
    body.append(tr);
  });
  document.querySelectorAll('#results [data-bs-toggle="tooltip"]').forEach((el) => window.bootstrap.Tooltip.getOrCreateInstance(el));
  updateSelection();
}

function showIndexers(statuses) {
  const box = $('indexer-status');
  box.replaceChildren();
  statuses.forEach((s) => {
    const badge = document.createElement('span');
    badge.className = `badge ${s.ok ? 'text-bg-success' : 'text-bg-danger'}`;
    badge.dataset.indexer = s.indexer;
    badge.dataset.ok = s.ok;
    badge.textContent = s.ok ? `${s.indexer}: ${s.count}` : `${s.indexer}: ${s.error}`;
    box.append(badge);
  });
}

async function runSearches(searches) {
  $('search-message').textContent = $('search-form').dataset.searchingText;
  const merged = new Map();
  let statuses = [];
  let message = null;
  for (const params of searches) {
    const data = await api('POST', '/api/search', { ...params, filters: filters() }).catch(() => null);
    if (!data) continue;
    data.results.forEach((r) => merged.set(r.info_hash || r.id, r));
    statuses = statuses.concat(data.indexers);
    message = data.message;
  }
  results = [...merged.values()].sort((a, b) => b.score - a.score);
  showIndexers(statuses);
  $('search-message').textContent = results.length ? `${results.length}` : (message || '');
  render();
}

$('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  wantedEpisodes = null;
  lastMedia = null;
  $('episode-filter').classList.add('d-none');
  $('episode-filter-label').classList.add('d-none');
  const params = { query: $('q').value, kind: $('kind').value };
  if ($('season').value) params.season = Number($('season').value);
  if ($('episode').value) params.episode = Number($('episode').value);
  runSearches([params]);
});

// -- pick the media by its title (Sonarr/Radarr library first, then TMDB/TheTVDB) ----------------------
const mediaForm = $('media-form');
const suggestions = $('media-suggestions');
let picked = null;
let typing = null;
const SOURCE = {
  radarr: (c) => ['radarr', c.radarr_movie_id], sonarr: (c) => ['sonarr', c.sonarr_series_id],
  'radarr-lookup': (c) => ['tmdb-movie', c.tmdb_id], 'sonarr-lookup': (c) => ['tvdb', c.tvdb_id],
  tmdb: (c) => [c.media_type === 'tv' ? 'tmdb-tv' : 'tmdb-movie', c.tmdb_id], tvdb: (c) => ['tvdb', c.tvdb_id],
};

function closeSuggestions() {
  suggestions.classList.add('d-none');
  $('media-title').setAttribute('aria-expanded', 'false');
}

async function suggest() {
  const q = $('media-title').value.trim();
  picked = null;
  if (q.length < 2) { closeSuggestions(); return; }
  const data = await api('GET', `/api/mapping/candidates?q=${encodeURIComponent(q)}&media_type=${$('media-type').value}`, undefined, { quiet: true }).catch(() => null);
  if (!data || q !== $('media-title').value.trim()) return;
  const seen = new Set();
  const rows = data.candidates.filter((c) => {
    const [source, id] = (SOURCE[c.source] || (() => [null, null]))(c);
    const key = `${c.media_type}:${c.tmdb_id || c.tvdb_id || `${source}:${id}`}`;
    if (!source || !id || seen.has(key)) return false;
    seen.add(key);
    return true;
  }).slice(0, 8);
  suggestions.replaceChildren(...(rows.length ? rows.map((c) => {
    const li = Object.assign(document.createElement('li'), { className: 'list-group-item list-group-item-action', tabIndex: 0 });
    li.setAttribute('role', 'option');
    li.textContent = `${c.title}${c.year ? ` (${c.year})` : ''}`;
    if (c.in_library) li.append(Object.assign(document.createElement('span'), { className: 'badge text-bg-success ms-2', textContent: mediaForm.dataset.libraryText }));
    if (c.archived) li.append(Object.assign(document.createElement('span'), { className: 'badge text-bg-info ms-2 mms-archived', textContent: mediaForm.dataset.archivedText, title: c.archived }));
    const choose = () => {
      const [source, id] = SOURCE[c.source](c);
      picked = { source, id, label: li.firstChild.textContent };
      $('media-title').value = picked.label;
      closeSuggestions();
    };
    li.addEventListener('click', choose);
    li.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); choose(); } });
    return li;
  }) : [Object.assign(document.createElement('li'), { className: 'list-group-item text-body-secondary', textContent: mediaForm.dataset.noneText })]));
  suggestions.classList.remove('d-none');
  $('media-title').setAttribute('aria-expanded', 'true');
}

$('media-title').addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(suggest, 250); });
$('media-type').addEventListener('change', () => { picked = null; suggest(); });
document.addEventListener('click', (e) => { if (!mediaForm.contains(e.target)) closeSuggestions(); });

// a series can be followed from here: its new episodes are then searched and grabbed from their air time
function followButtonFor(media) {
  if (media.media_type !== 'tv' || !(media.tvdb_id || media.tmdb_id)) return null;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'btn btn-sm btn-outline-info ms-2';
  button.id = 'search-follow-btn';
  button.textContent = mediaForm.dataset.followText;
  button.addEventListener('click', async () => {
    button.disabled = true;
    const body = { title: media.title, year: media.year || null, tvdb_id: media.tvdb_id || null,
      tmdb_id: media.tmdb_id || null, sonarr_series_id: media.sonarr_series_id || null };
    try {
      await api('POST', '/api/follows', body);
      button.textContent = mediaForm.dataset.followedText;
    } catch {
      button.disabled = false; // the fetch wrapper already showed why (followed already...)
    }
  });
  return button;
}

function clearResults(message) {
  results = [];
  showIndexers([]);
  $('search-message').textContent = message;
  render();
}

mediaForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!picked) { $('media-info').textContent = mediaForm.dataset.pickText; suggest(); return; }
  const params = new URLSearchParams({ source: picked.source, id: picked.id });
  const data = await api('GET', `/api/search/media?${params}`).catch(() => null);
  if (!data) { lastMedia = null; clearResults(mediaForm.dataset.failedText); return; }
  lastMedia = data.media;
  $('media-info').textContent = `${data.media.title}${data.media.year ? ` (${data.media.year})` : ''}`;
  const trailer = trailerButtonFor(data.media, 'search-trailer-btn', { withText: true });
  if (trailer) { trailer.classList.add('ms-2'); $('media-info').append(trailer); colourTrailerButtons($('media-info')); }
  const follow = followButtonFor(data.media);
  if (follow) $('media-info').append(follow);
  const select = $('episode-filter');
  const options = [new Option('—', '')];
  data.searches.forEach((s) => s.missing_episodes.forEach((e) => options.push(new Option(`S${String(s.season).padStart(2, '0')}E${String(e).padStart(2, '0')}`, `${s.season}x${e}`))));
  select.replaceChildren(...options);
  const hasEpisodes = options.length > 1;
  select.classList.toggle('d-none', !hasEpisodes);
  $('episode-filter-label').classList.toggle('d-none', !hasEpisodes);
  // a link from another page may ask for one season only (?season=N)
  const onlySeason = mediaForm.dataset.onlySeason ? Number(mediaForm.dataset.onlySeason) : null;
  const searches = data.searches.filter((s) => onlySeason === null || s.season === onlySeason);
  if (!searches.length) { clearResults(`${$('media-info').textContent}: 0`); return; }
  runSearches(searches.map(({ missing_episodes: _m, ...p }) => Object.fromEntries(Object.entries(p).filter(([, v]) => v != null))));
});

$('episode-filter').addEventListener('change', render);

document.querySelectorAll('#results th[data-sort]').forEach((th) => {
  th.style.cursor = 'pointer';
  th.addEventListener('click', () => {
    sortDir = sortKey === th.dataset.sort ? -sortDir : -1;
    sortKey = th.dataset.sort;
    render();
  });
});

function selectedIds() { return [...document.querySelectorAll('[data-select]:checked')].map((c) => c.dataset.select); }
function updateSelection() {
  const count = selectedIds().length;
  $('selected-count').textContent = count;
  $('send-selected').disabled = count === 0;
}
body.addEventListener('change', updateSelection);
$('select-all').addEventListener('change', (e) => { document.querySelectorAll('[data-select]').forEach((c) => { c.checked = e.target.checked; }); updateSelection(); });

function showReport(answer) {
  const list = $('send-report-list');
  list.replaceChildren();
  answer.report.forEach((line) => {
    const li = document.createElement('li');
    li.className = line.ok ? 'mms-state-ok' : 'mms-state-bad';
    li.dataset.ok = line.ok;
    li.textContent = line.ok ? `✔ ${line.name}` : `✘ ${line.name} — ${line.error}`;
    list.append(li);
  });
  $('send-report').classList.remove('d-none');
}

async function send(ids) {
  const chosen = results.filter((r) => ids.includes(r.id));
  const first = chosen[0];
  const mediaType = lastMedia?.media_type || (first && (first.seasons.length ? 'tv' : 'movie')) || 'movie';
  const mapping = lastMedia ? { ...lastMedia, episodes: [] } : await openMapping({ names: chosen.map((r) => r.name), mediaType, query: first ? first.title : '' });
  if (!mapping) return;
  const answer = await sendReleases(chosen.map((r) => ({ result_id: r.id, name: r.name })), mapping).catch((e) => { console.error(e instanceof ApiError ? `${e.status} ${e.message}` : e); return null; });
  if (answer) showReport(answer);
}

$('send-selected').addEventListener('click', () => send(selectedIds()));
body.addEventListener('click', (e) => { const b = e.target.closest('[data-send]'); if (b) send([b.dataset.send]); });

// links from other pages (the Plex editor's seasons): /search?source=tvdb&id=N&label=…[&season=S] runs the
// media search; /search?q=…&kind=tvsearch&season=S&episode=E runs a release search
(function startFromLink() {
  const asked = new URLSearchParams(window.location.search);
  if (asked.get('source') && asked.get('id')) {
    picked = { source: asked.get('source'), id: asked.get('id'), label: asked.get('label') || asked.get('id') };
    $('media-type').value = ['tvdb', 'sonarr', 'tmdb-tv'].includes(picked.source) ? 'tv' : 'movie';
    $('media-title').value = picked.label;
    if (asked.get('season')) mediaForm.dataset.onlySeason = asked.get('season');
    mediaForm.requestSubmit();
  } else if (asked.get('q')) {
    $('q').value = asked.get('q');
    if (asked.get('kind')) $('kind').value = asked.get('kind');
    if (asked.get('season')) $('season').value = asked.get('season');
    if (asked.get('episode')) $('episode').value = asked.get('episode');
    $('search-form').requestSubmit();
  }
}());

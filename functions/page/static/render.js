// Builds the results from a /query answer: the timings and the two columns. DOM only (textContent, never
// innerHTML: chunk text is data); no fetching, no state.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const formatMs = (ms) => `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;

/** `#from → #to`, marked up, down or same; screen readers also hear how far. */
export function movement(from, to) {
  const direction = to < from ? 'up' : to > from ? 'down' : 'same';
  const move = el('span', `move ${direction}`);
  move.append(el('span', 'move-ranks', `#${from} → #${to}`));
  const places = Math.abs(from - to);
  const said = direction === 'same' ? 'stayed' : `${direction} ${places} place${places === 1 ? '' : 's'}`;
  move.append(el('span', 'visually-hidden', ` (${said})`));
  move.title = `retrieval rank ${from}, rerank rank ${to}`;
  return move;
}

function where(hit) {
  const parts = [hit.source, `chunk ${hit.chunk}`];
  const pages = hit.pages;
  if (pages) parts.push(pages.first === pages.last ? `page ${pages.first}` : `pages ${pages.first}–${pages.last}`);
  return el('span', 'where', parts.join(' · '));
}

/** A value as text: a list's items joined by commas. */
const valueText = (value) => (Array.isArray(value) ? value.join(', ') : String(value));

/** The document's metadata, compactly (`tags: q4, infra · team: eng · year: 2024`, by name); null when none. */
export function attributes(metadata) {
  const names = Object.keys(metadata ?? {}).sort();
  if (names.length === 0) return null;
  const line = el('p', 'attrs');
  line.append(el('span', 'visually-hidden', 'Metadata: '));
  names.forEach((name, i) => {
    if (i > 0) line.append(' · ');
    const attr = el('span', 'attr');
    attr.append(el('span', 'attr-name', `${name}: `), el('span', 'attr-value', valueText(metadata[name])));
    line.append(attr);
  });
  return line;
}

function hitItem(hit, rank, score, move, extraClass) {
  const item = el('li', `hit${extraClass ? ` ${extraClass}` : ''}`);
  item.dataset.id = hit.id;
  const meta = el('div', 'meta');
  meta.append(el('span', 'rank', `#${rank}`));
  if (move) meta.append(move);
  meta.append(score, where(hit));
  item.append(meta);
  const metadata = attributes(hit.metadata);
  if (metadata) item.append(metadata);
  const text = el('p', 'text', hit.text);
  item.append(text);
  if (hit.text.length > 280) {
    const toggle = el('button', 'toggle', 'Show all');
    toggle.type = 'button';
    toggle.setAttribute('aria-expanded', 'false');
    toggle.addEventListener('click', () => {
      const open = item.classList.toggle('open');
      toggle.setAttribute('aria-expanded', String(open));
      toggle.textContent = open ? 'Show less' : 'Show all';
    });
    item.append(toggle);
  }
  return item;
}

function scoreLabel(name, value, digits) {
  const score = el('span', 'score');
  score.append(el('span', 'score-name', `${name} `), el('span', 'score-value', value.toFixed(digits)));
  return score;
}

function relevance(result) {
  if (result.relevanceScore === null) return el('span', 'score', 'not reranked');
  const score = scoreLabel('relevance', result.relevanceScore, 3);
  const meter = document.createElement('meter');
  meter.min = 0;
  meter.max = 1;
  meter.value = result.relevanceScore;
  meter.setAttribute('aria-hidden', 'true');
  score.append(meter);
  score.title = `raw score (logit) ${result.score.toFixed(4)}`;
  return score;
}

/** Per-stage timings as the API measured them, and the round trip the browser saw. */
export function renderTimings(list, timings, roundTripMs) {
  const rows = [
    ['embed', timings.embed],
    ['search', timings.search],
    ['rerank', timings.rerank],
    ['total', timings.total],
    ['round trip', roundTripMs],
  ];
  list.replaceChildren(
    ...rows.map(([name, ms]) => {
      const row = el('div');
      const value = el('dd', undefined, formatMs(ms));
      value.dataset.stage = name;
      row.append(el('dt', undefined, name), value);
      return row;
    }),
  );
}

/**
 * Fills the two columns: every first-stage candidate in retrieval order (with where the cross-encoder put it,
 * and whether it made the top-n), and the results in their final order (with where retrieval had them).
 */
export function renderColumns(parts, answer, request) {
  const kept = new Set(answer.results.map((r) => r.id));
  const candidates = answer.candidates ?? [];
  parts.first.replaceChildren(
    ...candidates.map((c) =>
      hitItem(
        c,
        c.retrievalRank,
        scoreLabel('retrieval', c.retrievalScore, 4),
        c.rerankRank === null ? null : movement(c.retrievalRank, c.rerankRank),
        kept.has(c.id) ? 'kept' : '',
      ),
    ),
  );
  parts.reranked.replaceChildren(
    ...answer.results.map((r, i) => hitItem(r, i + 1, relevance(r), movement(r.retrievalRank, i + 1), 'kept')),
  );
  parts.firstNote.textContent = `${candidates.length} candidate${candidates.length === 1 ? '' : 's'} from ${request.mode} search, retrieval scores (higher is better); highlighted: in the top-n.`;
  parts.rerankedNote.textContent = answer.reranked
    ? `Top ${answer.results.length} by the cross-encoder's relevance (0 to 1).`
    : 'Not reranked (no cross-encoder, or it failed and the fallback kept retrieval order).';
}

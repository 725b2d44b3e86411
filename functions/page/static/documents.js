// The Documents view: every document the API holds for the caller (GET /documents), with its status badge,
// chunk count, size and failure reason, a filter by status, and a delete button per row. It refreshes itself
// while any document is pending or being deleted. DOM only through textContent (keys and reasons are data).
import * as api from './api.js';

const POLL_MS = 2000;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const formatBytes = (n) =>
  n === null ? '–' : n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** One row: the key, a badge (its status as a word, never a colour alone), chunks, size, reason, delete. */
function row(document, onDelete) {
  const tr = el('tr');
  tr.dataset.source = document.source;
  tr.append(el('td', 'doc-source', document.source));
  const badge = el('span', 'badge', document.status);
  badge.dataset.status = document.status;
  const state = el('td');
  state.append(badge);
  tr.append(state, el('td', 'num', String(document.chunks)), el('td', 'num', formatBytes(document.bytes)));
  tr.append(el('td', 'doc-reason', document.reason ?? ''));
  const actions = el('td');
  if (document.status !== 'deleting' && document.status !== 'deleted') {
    const button = el('button', 'doc-delete', 'Delete');
    button.type = 'button';
    button.setAttribute('aria-label', `Delete ${document.source}`);
    button.addEventListener('click', () => onDelete(document.source, button));
    actions.append(button);
  }
  tr.append(actions);
  return tr;
}

/** Wires the view to its elements; `key()` is the API key the page holds. Answers `refresh`. */
export function documentsView({ section, body, status, filter, more, note }, key) {
  let timer = null;
  let cursor = null;

  const say = (text, state = '') => {
    status.textContent = text;
    status.dataset.state = state;
  };

  async function remove(source, button) {
    button.disabled = true;
    const answer = await api.deleteDocument(source, key());
    if (answer.status !== 202) {
      say(`Not deleted: ${api.errorMessage(answer)}`, 'error');
      button.disabled = false;
      return;
    }
    say(`Deleting ${source}…`);
    await refresh();
  }

  async function load(append) {
    const answer = await api.listDocuments(
      { status: filter.value || undefined, cursor: append ? cursor : null },
      key(),
    );
    if (answer.status === 404) {
      section.hidden = true; // an API without the documents routes
      return;
    }
    section.hidden = false;
    if (answer.status !== 200) {
      say(api.errorMessage(answer), 'error');
      return;
    }
    if (!append) body.replaceChildren();
    for (const document of answer.data.documents) body.append(row(document, remove));
    cursor = answer.data.nextCursor;
    more.hidden = cursor === null;
    const rows = body.querySelectorAll('tr').length;
    note.textContent = rows === 0 ? 'No documents yet: upload one below.' : `${rows} document${rows === 1 ? '' : 's'}`;
    if (status.dataset.state !== 'error') say('');
    // Keep refreshing while something is on its way.
    clearTimeout(timer);
    const moving = [...body.querySelectorAll('.badge')].some((b) => ['pending', 'deleting'].includes(b.dataset.status));
    if (moving) timer = setTimeout(() => refresh(), POLL_MS);
  }

  const refresh = () => load(false);
  filter.addEventListener('change', refresh);
  more.addEventListener('click', () => load(true));
  return { refresh };
}

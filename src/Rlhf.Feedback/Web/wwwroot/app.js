// The labeling page. Model text is only ever assigned with textContent (never innerHTML), so a completion holding
// markup shows as text; the server's Content-Security-Policy forbids inline scripts as a second wall.
'use strict';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'rlhf-label-token';
let token = null;
let task = null;        // { id, prompt, messages, completions: [{ index, text, critique }] } as served (display order)
let keyed = [];         // card numbers typed so far, best first
let submissionId = null;
let shownAt = 0;
let busy = false;
let sawCritiques = false; // AI critiques were visible at some point while this task was shown

function newSubmissionId() {
  // one id per task view, re-sent on every retry: the server stores the label once
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function show(section) {
  for (const id of ['login', 'task', 'done']) $(id).hidden = id !== section;
}

function setStatus(text, isError) {
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
}

function showProgress(p) {
  $('progress').textContent = `${p.name} · ${p.done} labeled · ${p.remaining} left`;
  $('overview-link').hidden = !p.isAdmin;
}

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${token}`, ...(options.body ? { 'Content-Type': 'application/json' } : {}) };
  const response = await fetch(path, { ...options, headers });
  let body = null;
  try { body = await response.json(); } catch { /* empty or not JSON */ }
  return { status: response.status, body };
}

function logout(message) {
  localStorage.removeItem(TOKEN_KEY);
  token = null;
  $('login-error').textContent = message || '';
  show('login');
}

async function loadNext() {
  setStatus('');
  const { status, body } = await api('/api/next');
  if (status === 401) return logout(body && body.error);
  if (status !== 200) return setStatus(`could not load a task: ${(body && body.error) || status}`, true);
  showProgress(body.progress);
  if (!body.task) { task = null; return show('done'); }
  task = body.task;
  keyed = [];
  submissionId = newSubmissionId();
  shownAt = Date.now();
  $('prompt-text').textContent = task.prompt;
  const history = task.messages || [];
  $('history').hidden = history.length === 0;
  $('history-turns').replaceChildren(...history.map(makeTurn));
  $('prompt-heading').textContent = history.length ? 'User (latest turn)' : 'Prompt';
  $('all-bad').checked = false;
  $('unsafe').checked = false;
  const hasCritiques = task.completions.some((c) => c.critique);
  $('critiques-toggle').hidden = !hasCritiques;
  sawCritiques = false;
  const list = $('cards');
  list.replaceChildren(...task.completions.map((c, i) => makeCard(c, i + 1)));
  showCritiques();
  render();
  show('task');
  $('submit').disabled = false;
}

// one earlier turn of the conversation, as text
function makeTurn(message) {
  const div = document.createElement('div');
  div.className = `turn ${message.role === 'assistant' ? 'assistant' : 'user'}`;
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = message.role === 'assistant' ? 'Assistant:' : 'User:';
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = message.content;
  div.append(who, text);
  return div;
}

// AI critiques are shown while the box is ticked; the label records whether they were ever visible
function showCritiques() {
  const visible = !$('critiques-toggle').hidden && $('show-critiques').checked;
  $('cards').classList.toggle('critiques-hidden', !visible);
  if (visible) sawCritiques = true;
}

function toggleUnsafe(li) {
  li.dataset.unsafe = li.dataset.unsafe === '1' ? '' : '1';
  render();
}

function makeCard(completion, number) {
  const li = document.createElement('li');
  li.className = 'card';
  li.tabIndex = 0;
  li.dataset.index = String(completion.index);
  li.dataset.number = String(number);
  const bar = document.createElement('div');
  bar.className = 'bar';
  const grip = document.createElement('span');
  grip.className = 'grip';
  grip.textContent = '⠿';
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.textContent = String(number);
  const rank = document.createElement('span');
  rank.className = 'rank';
  const tie = document.createElement('button');
  tie.type = 'button';
  tie.className = 'tie';
  tie.textContent = '= tie with above';
  tie.setAttribute('aria-pressed', 'false');
  tie.addEventListener('click', () => { toggleTie(li); });
  tie.addEventListener('pointerdown', (e) => e.stopPropagation());
  const unsafe = document.createElement('button');
  unsafe.type = 'button';
  unsafe.className = 'unsafe-toggle';
  unsafe.textContent = '⚠ unsafe';
  unsafe.setAttribute('aria-pressed', 'false');
  unsafe.addEventListener('click', () => { toggleUnsafe(li); });
  unsafe.addEventListener('pointerdown', (e) => e.stopPropagation());
  bar.append(grip, badge, rank, tie, unsafe);
  const text = document.createElement('div');
  text.className = 'text';
  text.textContent = completion.text;
  li.append(bar, text);
  if (completion.critique) {
    const aside = document.createElement('aside');
    aside.className = 'critique';
    const badge2 = document.createElement('div');
    badge2.className = 'ai-badge';
    badge2.textContent = 'AI-written critique (may be wrong)';
    const body = document.createElement('div');
    body.className = 'text critique-text';
    body.textContent = completion.critique;
    aside.append(badge2, body);
    li.append(aside);
  }
  enableDrag(li, bar);
  li.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
    e.preventDefault();
    const sibling = e.key === 'ArrowUp' ? li.previousElementSibling : li.nextElementSibling;
    if (!sibling) return;
    if (e.key === 'ArrowUp') sibling.before(li); else sibling.after(li);
    li.focus();
    render();
  });
  return li;
}

function cards() { return Array.from($('cards').children); }

function toggleTie(li) {
  if (!li.previousElementSibling) return;
  li.dataset.tie = li.dataset.tie === '1' ? '' : '1';
  render();
}

// rank labels, tie markers and the "typed" highlight follow the current order
function render() {
  const all = cards();
  let rank = 0;
  all.forEach((li, position) => {
    if (position === 0) li.dataset.tie = '';
    const tied = li.dataset.tie === '1';
    if (!tied) rank = position + 1;
    const label = li.querySelector('.rank');
    label.textContent = `#${rank}${position === 0 ? ' best' : position === all.length - 1 ? ' worst' : ''}${tied ? ' (tied)' : ''}`;
    label.className = 'rank' + (position === 0 ? ' best' : position === all.length - 1 ? ' worst' : '');
    const tie = li.querySelector('.tie');
    tie.hidden = position === 0;
    tie.setAttribute('aria-pressed', tied ? 'true' : 'false');
    li.classList.toggle('tied', tied || (position + 1 < all.length && all[position + 1].dataset.tie === '1'));
    li.classList.toggle('keyed', keyed.includes(Number(li.dataset.number)));
    const flagged = li.dataset.unsafe === '1';
    li.classList.toggle('unsafe', flagged);
    li.querySelector('.unsafe-toggle').setAttribute('aria-pressed', flagged ? 'true' : 'false');
  });
}

// Pointer-event dragging (mouse, pen and touch alike): the card swaps with a neighbour once the pointer passes that
// neighbour's middle, so the list is always a valid order and a drop needs no extra bookkeeping. The neighbour is
// the node that moves (the dragged card stays in the document, keeping its pointer capture), and the listeners sit on
// the document so no pointer event is missed however the cards shift.
function enableDrag(li, handle) {
  handle.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 || busy) return;
    e.preventDefault();
    try { handle.setPointerCapture(e.pointerId); } catch { /* synthetic pointers */ }
    li.classList.add('dragging');
    const move = (ev) => {
      if (ev.pointerId !== e.pointerId) return;
      let prev = li.previousElementSibling, next = li.nextElementSibling;
      while (prev && ev.clientY < middle(prev)) { li.after(prev); prev = li.previousElementSibling; }
      while (next && ev.clientY > middle(next)) { li.before(next); next = li.nextElementSibling; }
      render();
    };
    const up = (ev) => {
      if (ev.pointerId !== e.pointerId) return;
      li.classList.remove('dragging');
      document.removeEventListener('pointermove', move);
      document.removeEventListener('pointerup', up);
      document.removeEventListener('pointercancel', up);
      render();
    };
    document.addEventListener('pointermove', move);
    document.addEventListener('pointerup', up);
    document.addEventListener('pointercancel', up);
  });
}

function middle(el) { const r = el.getBoundingClientRect(); return r.top + r.height / 2; }

// typing card numbers best → worst: the n-th number typed moves that card to position n
function placeByNumber(number) {
  if (keyed.includes(number)) return;
  const li = cards().find((c) => Number(c.dataset.number) === number);
  if (!li) return;
  const target = cards()[keyed.length];
  if (target !== li) target.before(li);
  keyed.push(number);
  if (keyed.length === cards().length - 1) {
    const last = cards().find((c) => !keyed.includes(Number(c.dataset.number)));
    keyed.push(Number(last.dataset.number));
  }
  render();
}

function currentLabel() {
  const all = cards();
  const ranking = all.map((li) => Number(li.dataset.index));
  const ties = [];
  let group = [ranking[0]];
  for (let p = 1; p <= all.length; p++) {
    if (p < all.length && all[p].dataset.tie === '1') { group.push(ranking[p]); continue; }
    if (group.length > 1) ties.push(group);
    if (p < all.length) group = [ranking[p]];
  }
  const unsafeCompletions = all.filter((li) => li.dataset.unsafe === '1').map((li) => Number(li.dataset.index));
  return {
    submissionId, ranking, ties,
    allBad: $('all-bad').checked, unsafe: $('unsafe').checked || unsafeCompletions.length > 0,
    unsafeCompletions, sawCritiques,
    elapsedMs: Date.now() - shownAt,
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Retries network failures and 5xx with the same submission id (the server deduplicates), never a 4xx.
async function submit() {
  if (!task || busy) return;
  const label = currentLabel();
  if (label.ties.length === 1 && label.ties[0].length === label.ranking.length) {
    return setStatus('All answers are tied: order at least two of them (or mark "All bad").', true);
  }
  busy = true;
  $('submit').disabled = true;
  setStatus('saving…');
  try {
    for (let attempt = 0; ; attempt++) {
      let result = null;
      try { result = await api(`/api/tasks/${task.id}/labels`, { method: 'POST', body: JSON.stringify(label) }); } catch { /* network */ }
      if (result && (result.status === 200 || result.status === 201)) { await loadNext(); return; }
      if (result && result.status === 401) return logout(result.body && result.body.error);
      if (result && result.status === 409) { // labeled already (another tab?): nothing to save here, move on
        const why = (result.body && result.body.error) || 'already labeled';
        await loadNext();
        return setStatus(`${why}; here is the next task`, true);
      }
      if (result && result.status >= 400 && result.status < 500) {
        $('submit').disabled = false;
        return setStatus((result.body && result.body.error) || `refused (${result.status})`, true);
      }
      if (attempt >= 6) { $('submit').disabled = false; return setStatus('could not reach the server; your answer is kept here, press Submit again', true); }
      setStatus(`connection problem, retrying (${attempt + 1})…`, true);
      await sleep(500 * 2 ** attempt);
    }
  } finally {
    busy = false;
  }
}

document.addEventListener('keydown', (e) => {
  if (!task || $('task').hidden || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target instanceof HTMLInputElement && e.target.type !== 'checkbox') return;
  const k = e.key;
  if (/^[1-9]$/.test(k)) { placeByNumber(Number(k)); e.preventDefault(); }
  else if (k === '=') {
    const last = keyed.length ? cards().find((c) => Number(c.dataset.number) === keyed[keyed.length - 1]) : null;
    if (last) toggleTie(last);
    e.preventDefault();
  }
  else if (k === 'Backspace') { keyed.pop(); render(); e.preventDefault(); }
  else if (k === 'Escape') { keyed = []; render(); }
  else if (k === 'b' || k === 'B') $('all-bad').checked = !$('all-bad').checked;
  else if (k === 'u' || k === 'U') {
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement.closest('.card') : null;
    if (focused) toggleUnsafe(focused); else $('unsafe').checked = !$('unsafe').checked;
  }
  else if (k === 'Enter') { e.preventDefault(); submit(); }
});

$('submit').addEventListener('click', submit);
$('show-critiques').addEventListener('change', showCritiques);
$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  token = $('token-input').value.trim();
  if (!token) return;
  localStorage.setItem(TOKEN_KEY, token);
  loadNext();
});

// a token in the address (#token=…, printed by add-labeler) is kept in this browser and removed from the address bar
const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromHash) { localStorage.setItem(TOKEN_KEY, fromHash); history.replaceState(null, '', location.pathname); }
token = localStorage.getItem(TOKEN_KEY);
if (token) loadNext(); else show('login');

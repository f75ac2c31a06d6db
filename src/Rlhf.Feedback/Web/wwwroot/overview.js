// The overview page (admins): counts, labels per labeler, agreement, and export as a download. Text from the
// database (labeler names) is set with textContent only.
'use strict';

const $ = (id) => document.getElementById(id);
const token = localStorage.getItem('rlhf-label-token');

function row(cells, numeric) {
  const tr = document.createElement('tr');
  cells.forEach((text, i) => {
    const td = document.createElement(i === 0 && !numeric ? 'th' : 'td');
    td.textContent = text;
    if (i > 0) td.className = 'num';
    tr.append(td);
  });
  return tr;
}

async function load() {
  if (!token) { $('error').textContent = 'No labeler token in this browser: open the link printed by "rlhf label add-labeler --admin" first.'; return; }
  const response = await fetch('/api/overview', { headers: { Authorization: `Bearer ${token}` } });
  const body = await response.json().catch(() => null);
  if (!response.ok) { $('error').textContent = (body && body.error) || `error ${response.status}`; return; }
  const o = body;
  $('counts').replaceChildren(
    row(['tasks', String(o.tasks)]),
    row([`complete (≥ ${o.labelsPerTask} label${o.labelsPerTask > 1 ? 's' : ''})`, String(o.tasksComplete)]),
    row(['remaining', String(o.tasksRemaining)]),
    row(['labels', String(o.labels)]),
    row(['marked all bad / unsafe', `${o.allBad} / ${o.unsafe}`]),
    row([`inter-labeler agreement (${o.agreementTasks} tasks with ≥ 2 labels)`,
      o.meanAgreement === null ? 'n/a' : `${(100 * o.meanAgreement).toFixed(1)}% of pairs`]),
    row(["Krippendorff's α (completion pairs, nominal)", o.alpha === null ? 'n/a' : o.alpha.toFixed(3)]),
    row(['hidden gold / attention-check tasks', String(o.goldTasks)]));
  const pct = (v) => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(0)}%`);
  $('labelers').replaceChildren(...o.labelers.map((l) => row([l.name, String(l.labels), l.medianSeconds === null ? '–' : l.medianSeconds.toFixed(1),
    pct(l.majorityAgreement), `${pct(l.goldAgreement)} (${l.goldLabels})`, `${pct(l.firstShownBest)} (${pct(l.firstShownChance)})`,
    pct(l.longerPreferred), l.score === null ? '–' : l.score.toFixed(2)])));
  $('summary').hidden = false;
}

async function download(format) {
  const exclude = $('exclude-flagged').checked;
  const min = $('min-quality').value.trim();
  const query = `format=${format}&excludeFlagged=${exclude}${min ? `&minQuality=${encodeURIComponent(min)}` : ''}`;
  const response = await fetch(`/api/export?${query}`, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) { const b = await response.json().catch(() => null); $('error').textContent = (b && b.error) || `error ${response.status}`; return; }
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = format === 'pairwise' ? 'pairs.jsonl' : 'rankings.jsonl';
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

$('export-ranked').addEventListener('click', () => download('ranked'));
$('export-pairwise').addEventListener('click', () => download('pairwise'));
load();

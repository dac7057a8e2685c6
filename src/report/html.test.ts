import { describe, expect, it } from 'vitest';
import { htmlReport, NOT_MEASURED, pickBaseline } from './html';
import { DATASET, family, FAMILY_PREDICTIONS, KEY, measurement, OTHER_KEY, record, T0 } from './testing';

const EVIL = '<img src=x onerror=alert(1)>';
const count = (s: string, needle: string) => s.split(needle).length - 1;

function fixture() {
  const { records } = family();
  const evil = record({
    id: 'evil', name: EVIL, parentId: 'int8', technique: 'int8', step: { kind: 'int8', perChannel: false }, createdAt: T0 + 7_000,
    notes: '</td><script>alert("notes")</script>', tags: ['<b>tag</b>'],
    measurements: [measurement({ at: T0 + 8_000, predictions: FAMILY_PREDICTIONS.int8, b1: 1.4, b64: 11 })],
  });
  // Measured only on the software adapter: not comparable with the baseline's terms.
  const student = record({
    id: 'student', name: 'mlp-student', parentId: 'root', technique: 'student', step: { kind: 'train', student: 'mlp:784-32-10' },
    stats: { weightBytes: 10_000, fileBytes: 12_000 },
    measurements: [measurement({ key: OTHER_KEY, at: T0 + 9_000, predictions: FAMILY_PREDICTIONS.pruned, b1: 0.5, b64: 4 })],
  });
  return [...records, evil, student];
}

/** The table row of the variants table whose first cell starts with `name`. */
const rowOf = (html: string, name: string) => {
  const table = html.slice(html.indexOf('<h2>Variants</h2>'), html.indexOf('<h2>Family</h2>'));
  const row = table.split('<tr').find((r) => r.includes(`<td>${name}<`));
  if (!row) throw new Error(`no row for ${name}`);
  return row;
};

describe('htmlReport', () => {
  const records = fixture();
  const html = htmlReport({ project: { name: 'Demo & <co>' }, records, datasets: { [DATASET.sha256]: DATASET }, generatedAt: new Date(Date.UTC(2025, 1, 2, 3, 4, 5)) });

  it('is one offline document: no scripts, no external addresses, four inline charts', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(count(html, '<svg')).toBe(4);
    expect(count(html, '</svg>')).toBe(4);
    expect(html).toContain('<style>');
    expect(html).toContain('2025-02-02T03:04:05.000Z');
    expect(html).toContain('<title>Demo &amp; &lt;co&gt; — compression report</title>');
  });

  it('escapes names, notes and tags', () => {
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;/td&gt;&lt;script&gt;alert(&quot;notes&quot;)&lt;/script&gt;');
    expect(html).toContain('&lt;b&gt;tag&lt;/b&gt;');
    expect(html).not.toContain('<b>tag');
  });

  it('states the terms: the baseline\'s latest key', () => {
    const terms = html.slice(html.indexOf('<h2>Measured on</h2>'), html.indexOf('<h2>Variants</h2>'));
    expect(terms).toContain('MNIST test');
    expect(terms).toContain('(x/255 − 0.1307) / 0.3081');
    expect(terms).toContain('the first 20');
    expect(terms).toContain(KEY.adapter);
    expect(terms).not.toContain(OTHER_KEY.adapter);
  });

  it('shows a variant measured on other terms as not measured, and the others with their figures', () => {
    expect(rowOf(html, 'mlp-student')).toContain(NOT_MEASURED);
    const pruned = rowOf(html, 'lenet-mnist-pruned');
    expect(pruned).not.toContain(NOT_MEASURED);
    expect(pruned).toContain('75.00 %');
    expect(pruned).toContain('−15.00 pts');
    expect(pruned).toContain('85.00 %'); // agreement with the root: 17 of 20
    expect(rowOf(html, 'lenet-mnist-int8')).toContain('±0.00 pts');
    expect(rowOf(html, 'lenet-mnist')).toContain('baseline');
    expect(count(html, NOT_MEASURED)).toBe(1);
  });

  it('charts only the variants measured on the terms, and says so', () => {
    const charts = html.slice(html.indexOf('<div class="charts">'), html.indexOf('<h2>Measurement history</h2>'));
    expect(count(charts, '<circle')).toBe(4 * 4); // root, int8, pruned, evil in each chart
    expect(count(charts, '1 point without a value not shown')).toBe(4);
  });

  it('nests the family by parent, with each step', () => {
    const fam = html.slice(html.indexOf('<h2>Family</h2>'), html.indexOf('<h2>Accuracy against cost</h2>'));
    const root = fam.indexOf('<strong>lenet-mnist</strong>'), int8 = fam.indexOf('<strong>lenet-mnist-int8</strong>');
    const evil = fam.indexOf(`<strong>&lt;img`);
    expect(root).toBeGreaterThan(-1);
    expect(int8).toBeGreaterThan(root);
    // evil is int8's child: inside one more <ul> than int8.
    const depth = (at: number) => count(fam.slice(0, at), '<ul') - count(fam.slice(0, at), '</ul>');
    expect(depth(int8)).toBe(depth(root) + 1);
    expect(depth(evil)).toBe(depth(int8) + 1);
    expect(fam).toContain('loaded file root.onnx');
    expect(fam).toContain('per-tensor symmetric weights');
  });

  it('lists every measurement of the history', () => {
    const hist = html.slice(html.indexOf('<h2>Measurement history</h2>'));
    expect(count(hist, '<tr><td>')).toBe(2 + 1 + 1 + 1 + 1);
    expect(hist).toContain(OTHER_KEY.adapter);
    expect(hist).toContain(new Date(T0 + 1_000).toISOString());
  });

  it('takes the baseline asked for, and its terms', () => {
    expect(pickBaseline(records)?.id).toBe('root');
    expect(pickBaseline(records, 'nope')?.id).toBe('root');
    const other = htmlReport({ project: { name: 'p' }, records, datasets: {}, generatedAt: new Date(T0), baselineId: 'student' });
    expect(rowOf(other, 'lenet-mnist-int8')).toContain(NOT_MEASURED);
    expect(rowOf(other, 'lenet-mnist')).not.toContain(NOT_MEASURED); // root also has an OTHER_KEY measurement
    expect(count(other, NOT_MEASURED)).toBe(3);
  });

  it('copes with an empty project', () => {
    const empty = htmlReport({ project: { name: 'empty' }, records: [], datasets: {}, generatedAt: new Date(T0) });
    expect(empty).toContain('no variants');
    expect(count(empty, '<svg')).toBe(4);
    expect(empty).not.toMatch(/NaN|undefined/);
  });
});

import { describe, expect, it } from 'vitest';
import { csvField, measurementsCsv, projectJson, variantsCsv } from './csv';
import { DATASET, family, KEY, OTHER_KEY, record } from './testing';

/** A strict RFC 4180 reader, to check what the writer wrote reads back as the same fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], field = '', i = 0, quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c; i++; continue;
    }
    if (c === '"') {
      if (field !== '') throw new Error(`a quote inside an unquoted field at ${i}`);
      quoted = true; i++; continue;
    }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; continue; }
    if (c === '\r') throw new Error('the writer uses \\n line ends');
    field += c; i++;
  }
  if (quoted) throw new Error('an unterminated quote');
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

const TRICKY = 'lenet, "the small one"\nsecond line';

describe('csvField', () => {
  it('quotes only what needs it and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(0.25)).toBe('0.25');
  });
});

describe('variantsCsv', () => {
  it('writes one row per variant under a header, and names with commas, quotes and line breaks read back intact', () => {
    const { root, int8, pruned } = family();
    const tricky = { ...root, name: TRICKY, notes: 'notes, with "quotes"\r\nand CRLF' };
    const text = variantsCsv([tricky, int8, pruned], KEY);
    expect(text.startsWith('id,name,technique,parentId,')).toBe(true);
    expect(text).toContain('"lenet, ""the small one""\nsecond line"');
    expect(text.endsWith('\n')).toBe(true);
    const rows = parseCsv(text);
    expect(rows).toHaveLength(4);
    const head = rows[0]!;
    expect(rows.every((r) => r.length === head.length)).toBe(true);
    const col = (name: string) => head.indexOf(name);
    expect(rows[1]![col('name')]).toBe(TRICKY);
    expect(rows[1]![col('notes')]).toBe('notes, with "quotes"\r\nand CRLF');
    expect(rows[2]![col('top1')]).toBe('0.9');
    expect(rows[3]![col('top1')]).toBe('0.75');
    expect(rows[3]![col('tags')]).toBe('sparse');
    expect(rows[3]![col('sparseBytes')]).toBe('60000');
    expect(rows[1]![col('sparseBytes')]).toBe('');
  });

  it('leaves the figures empty for a variant not measured on the key', () => {
    const { records } = family();
    const rows = parseCsv(variantsCsv(records, OTHER_KEY));
    const head = rows[0]!;
    expect(rows[1]![head.indexOf('b1MedianMs')]).toBe('9'); // root was measured on OTHER_KEY
    expect(rows[2]![head.indexOf('top1')]).toBe('');
    expect(rows[2]![head.indexOf('weightBytes')]).toBe('25500');
  });
});

describe('measurementsCsv', () => {
  it('writes every measurement of the history, and a row for a variant never measured', () => {
    const { records } = family();
    const unmeasured = record({ id: 'fresh', name: 'fresh, unmeasured', parentId: 'root', technique: 'student', step: { kind: 'train' } });
    const rows = parseCsv(measurementsCsv([...records, unmeasured]));
    const head = rows[0]!;
    const col = (name: string) => head.indexOf(name);
    expect(rows).toHaveLength(1 + 2 + 1 + 1 + 1);
    const rootRows = rows.filter((r) => r[col('id')] === 'root');
    expect(rootRows.map((r) => r[col('adapter')])).toEqual([OTHER_KEY.adapter, KEY.adapter]);
    expect(rootRows.map((r) => r[col('b1MedianMs')])).toEqual(['9', '2']);
    expect(rootRows[0]![col('measuredAt')]).toBe(new Date(records[0]!.measurements[0]!.at).toISOString());
    expect(rootRows[0]![col('preprocess')]).toBe('(x/255 − 0.1307) / 0.3081');
    const fresh = rows.find((r) => r[col('id')] === 'fresh')!;
    expect(fresh[col('name')]).toBe('fresh, unmeasured');
    expect(fresh[col('top1')]).toBe('');
    expect(fresh[col('step')]).toMatch(/^train further/);
    expect(rows.every((r) => r.length === head.length)).toBe(true);
  });
});

describe('projectJson', () => {
  it('keeps every record, measurement and the datasets\' labels, and leaves out missing datasets', () => {
    const { records } = family();
    const project = { id: 'p1', name: 'Demo', createdAt: 1, updatedAt: 2 };
    const text = projectJson(project, records, { [DATASET.sha256]: DATASET, ['e'.repeat(64)]: undefined });
    expect(text).toContain('\n  "project"'); // pretty
    const back = JSON.parse(text);
    expect(back.project).toEqual(project);
    expect(back.records).toHaveLength(3);
    expect(back.records[0].measurements).toHaveLength(2);
    expect(back.records[0].measurements[1].predictions).toEqual(records[0]!.measurements[1]!.predictions);
    expect(Object.keys(back.datasets)).toEqual([DATASET.sha256]);
    expect(back.datasets[DATASET.sha256].labels).toEqual(DATASET.labels);
  });
});

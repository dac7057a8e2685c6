import { describe, expect, it } from 'vitest';
import { VariantStore } from './variant-store';
import { buildArch } from '../train/architectures';
import { dynamicBatching } from '../model/rebatch';
import type { VariantRecord } from '../recipe/variant';
import type { Technique } from '../recipe/vocabulary';

const m = buildArch('mlp:4-3-2', [4], 1);
const record = (id: string, technique: Technique, parentId: string | null, ownSignature = false): VariantRecord => ({
  id, projectId: 'p', parentId, name: id, notes: '', tags: [], technique, step: null, source: parentId ? null : { fileName: `${id}.onnx` },
  createdAt: 0, modelSha256: '0'.repeat(64), blobSha256: '0'.repeat(64), ownSignature, details: {}, measurements: [],
  stats: { params: 0, flops: 0, nonzeroFlops: 0, weightBytes: 0, sizeBytes: 0, fileBytes: 0, sparseBytes: null, studioFormat: false, classes: 2, inputShape: ['N', 4], layers: [] },
});

describe('VariantStore', () => {
  const store = () => {
    const s = new VariantStore();
    s.add(record('net', 'original', null), m, { batching: dynamicBatching(m), signature: { inputs: m.graph.inputs, outputs: m.graph.outputs } });
    s.add(record('student', 'student', 'net', true), m);
    s.add(record('student-int8', 'int8', 'student'), m);
    s.add(record('binary', 'binary', 'net'), m);
    s.add(record('pruned', 'pruned', 'net'), m);
    s.add(record('pruned-student', 'student', 'pruned'), m);
    return s;
  };

  it('starts compressions from the nearest float variant, and finds the loaded file a variant comes from', () => {
    const s = store();
    expect(s.floatSource('student-int8').id).toBe('student');
    expect(s.floatSource('binary').id).toBe('net');
    expect(s.floatSource('student').id).toBe('student');
    expect(s.root('student-int8').id).toBe('net');
    expect(() => s.floatSource('gone')).toThrow(/no variant with id 'gone'/);
  });

  it('knows what a variant descends from (a student of a pruned model still holds its zeros)', () => {
    const s = store();
    expect(s.descendsFrom('pruned-student', 'pruned')).toBe(true);
    expect(s.descendsFrom('student-int8', 'pruned')).toBe(false);
  });

  it('feeds a variant as its file is fed, unless it was built with its own signature', async () => {
    const s = store();
    expect((await s.feed('binary')).batching.mode).toBe('dynamic');
    expect((await s.feed('student')).signature.inputs).toEqual(m.graph.inputs);
  });

  it('gives a taken name a number, and loads a model it does not hold from storage', async () => {
    const s = store();
    expect(s.freeName('net')).toBe('net-2');
    expect(s.freeName('net', 'net')).toBe('net');
    expect(s.freeName('fresh')).toBe('fresh');
    const loads: string[] = [];
    const lazy = new VariantStore(async (r) => { loads.push(r.id); return { model: m }; });
    lazy.add(record('later', 'int8', null), null);
    expect(lazy.loaded('later')).toBeUndefined();
    expect(await lazy.model('later')).toBe(m);
    expect(await lazy.model('later')).toBe(m);
    expect(loads).toEqual(['later']); // once, then from memory
    await expect(new VariantStore().model('nothing')).rejects.toThrow(/no variant with id 'nothing'/);
  });
});

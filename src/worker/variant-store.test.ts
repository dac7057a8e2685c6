import { describe, expect, it } from 'vitest';
import { VariantStore } from './variant-store';
import { buildArch } from '../train/architectures';

describe('VariantStore', () => {
  const m = buildArch('mlp:4-3-2', [4], 1);
  const store = () => {
    const s = new VariantStore();
    s.reset('net.onnx', m);
    s.add('net-student.onnx', m, 'student', 'net.onnx', 'mlp:4-3-2, distilled from net.onnx', true);
    s.add('net-student-int8.onnx', m, 'int8', 'net-student.onnx', 'int8 (pc-minmax)');
    s.add('net-binary.onnx', m, 'binary', 'net.onnx', 'binary (kfl)');
    return s;
  };

  it('keeps each variant\'s parent and the steps from the loaded file', () => {
    const s = store();
    expect(s.lineage('net.onnx')).toEqual({ parent: null, steps: [] });
    expect(s.lineage('net-student-int8.onnx')).toEqual({ parent: 'net-student.onnx', steps: ['mlp:4-3-2, distilled from net.onnx', 'int8 (pc-minmax)'] });
    expect(s.lineage('nothing')).toBeUndefined();
  });

  it('starts compressions from the nearest float variant, and inherits a student\'s own signature', () => {
    const s = store();
    expect(s.floatSource('net-student-int8.onnx').name).toBe('net-student.onnx');
    expect(s.floatSource('net-binary.onnx').name).toBe('net.onnx');
    expect(s.floatSource('net-student.onnx').name).toBe('net-student.onnx');
    expect(s.ownSignature('net-student-int8.onnx')).toBe(true);
    expect(s.ownSignature('net-binary.onnx')).toBe(false);
    expect(() => s.floatSource('gone.onnx')).toThrow(/no variant named 'gone.onnx'/);
  });

  it('forgets every variant when another file is loaded', () => {
    const s = store();
    s.reset('other.onnx', m);
    expect(s.model('net-student.onnx')).toBeUndefined();
    expect(s.base).toBe('other.onnx');
  });
});

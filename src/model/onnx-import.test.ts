import { test } from 'vitest';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { importOnnx } from './onnx-import';
import { exportOnnx } from './onnx-export';
import { parseTensorProtoBytes, floatToHalf, halfToFloat } from './tensor-proto';
import type { TensorData } from './ir';
const ort = createRequire(import.meta.url)('onnxruntime-node');
function toOrt(t: TensorData) {
  if (t.dtype === 'float16') return new ort.Tensor('float16', Uint16Array.from(t.data as Float32Array, floatToHalf), t.dims);
  return new ort.Tensor(t.dtype, t.data, t.dims);
}
function fromOrt(x: any): number[] { const d = x.type === 'float16' ? Array.from(x.data as Uint16Array, halfToFloat) : Array.from(x.data, Number); return d; }
function close(a: number[], b: number[]) { if (a.length !== b.length) return false; return a.every((v, i) => (Number.isNaN(v) && Number.isNaN(b[i]!)) || Math.abs(v - b[i]!) <= 1e-3 + 1e-3 * Math.abs(b[i]!)); }
test('probe', async () => {
  const stats: Record<string, number> = {};
  const t0 = Date.now();
  for (const dir of ['node', 'pytorch-converted', 'pytorch-operator', 'simple']) {
    const root = `/usr/share/libonnx-testdata/data/${dir}`;
    for (const c of readdirSync(root)) {
      const f = `${root}/${c}/model.onnx`;
      const ds = `${root}/${c}/test_data_set_0`;
      if (!existsSync(f) || !existsSync(ds)) continue;
      const bytes = readFileSync(f);
      let m; try { m = importOnnx(bytes); } catch { continue; }
      let sess; try { sess = await ort.InferenceSession.create(bytes); } catch (e) { stats.ortload = (stats.ortload ?? 0) + 1; console.log('ortload', c, String(e).slice(0, 150)); continue; }
      const files = readdirSync(ds);
      const feeds: Record<string, any> = {}; const expected: Record<string, TensorData> = {};
      try {
        files.filter(x => x.startsWith('input')).sort((a, b) => parseInt(a.slice(6)) - parseInt(b.slice(6))).forEach((x, i) => { const p = parseTensorProtoBytes(readFileSync(`${ds}/${x}`)); feeds[p.name || sess.inputNames[i]] = toOrt(p.tensor); });
        files.filter(x => x.startsWith('output')).sort((a, b) => parseInt(a.slice(7)) - parseInt(b.slice(7))).forEach((x, i) => { const p = parseTensorProtoBytes(readFileSync(`${ds}/${x}`)); expected[p.name || sess.outputNames[i]] = p.tensor; });
      } catch (e) { stats.decode = (stats.decode ?? 0) + 1; console.log('decode', c, String(e).slice(0, 150)); continue; }
      let out; try { out = await sess.run(feeds); } catch (e) { stats.ortrun = (stats.ortrun ?? 0) + 1; console.log('ortrun', c, String(e).slice(0, 150)); continue; }
      const ok = Object.entries(expected).every(([k, t]) => out[k] && close(fromOrt(out[k]), Array.from(t.data, Number)));
      stats[ok ? 'match' : 'mismatch'] = (stats[ok ? 'match' : 'mismatch'] ?? 0) + 1;
      if (!ok) console.log('mismatch', c);
      let s2; try { s2 = await ort.InferenceSession.create(exportOnnx(m)); } catch (e) { stats.exportload = (stats.exportload ?? 0) + 1; console.log('exportload', c, String(e).slice(0, 200)); continue; }
      const out2 = await s2.run(feeds);
      const same = Object.keys(out).every(k => out2[k] && close(fromOrt(out2[k]), fromOrt(out[k])));
      stats[same ? 'exportsame' : 'exportdiff'] = (stats[same ? 'exportsame' : 'exportdiff'] ?? 0) + 1;
      if (!same) console.log('exportdiff', c);
    }
  }
  console.log(stats, Date.now() - t0);
});

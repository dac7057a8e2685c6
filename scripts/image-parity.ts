/**
 * onnxruntime-node's accuracy on the pixels the studio decodes (scripts/ort-images.ts):
 *   npm run parity:images -- MODEL.onnx DATA [--preset NAME] [--limit N] [--json]
 * Prints accuracy, top-5 and the sha256 of the predictions (equal to the studio's when every answer agrees).
 */
import { ortOnImages } from './ort-images';
const args = process.argv.slice(2).filter((a) => a !== '--');
const flag = (n: string) => { const i = args.indexOf(`--${n}`); return i >= 0 ? args.splice(i, 2)[1] : undefined; };
const json = args.includes('--json');
const preset = flag('preset'), limit = flag('limit');
const [model, data] = args.filter((a) => !a.startsWith('--'));
if (!model || !data) { console.error('usage: npm run parity:images -- MODEL.onnx DATA [--preset NAME] [--limit N] [--json]'); process.exit(2); }
const r = await ortOnImages(model, data, { preset, limit: limit ? Number(limit) : undefined });
const { predictions: _p, ...shown } = r;
console.log(json ? JSON.stringify(shown) : `onnxruntime-node on the studio's pixels: ${(100 * r.accuracy).toFixed(2)} % (top-5 ${(100 * r.top5).toFixed(2)} %) on ${r.samples}; decoded in ${(r.decodeMs / 1000).toFixed(1)} s; predictions sha256 ${r.predictionsSha256}`);

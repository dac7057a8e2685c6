/** Sorting dropped files into a model, IDX images and IDX labels, by name and content (in the worker: gunzipping a dataset is no work for the page's main thread). */
import { maybeGunzip } from '../data/idx';

export interface DroppedFile { name: string; bytes: Uint8Array }
export type DropItem = DroppedFile & { kind: 'model' | 'images' | 'labels' };

/** IDX files start 00 00 <type> <ndims>; labels are 1-D, images 2-D or more. */
function idxKind(bytes: Uint8Array): 'images' | 'labels' | null {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0 || ![0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e].includes(bytes[2]!)) return null;
  return bytes[3] === 1 ? 'labels' : bytes[3]! >= 2 ? 'images' : null;
}

export async function classifyDrop(files: DroppedFile[]): Promise<DropItem[]> {
  const out: DropItem[] = [];
  for (const f of files) {
    if (/\.onnx$/i.test(f.name)) { out.push({ ...f, kind: 'model' }); continue; }
    const bytes = await maybeGunzip(f.bytes, f.name); // a corrupt .gz throws a DatasetError naming the file
    const kind = idxKind(bytes);
    // Anything that is not IDX is offered to the ONNX reader, whose error names the problem.
    out.push(kind ? { name: f.name, bytes, kind } : { ...f, kind: 'model' });
  }
  return out;
}

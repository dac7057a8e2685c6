/**
 * Student specs as text, checked without building anything (the page checks them as typed, the
 * schema checks them in recipes): built-in architectures (`mlp:784-64-10`, `cnn:8-16-10`,
 * `convnet`) and students made from the teacher (`width:0.5`, `binary`, `int8`). Building them is
 * train/architectures.ts and train/students.ts.
 */
import { ModelError } from '../core/errors';

export type Layer = { kind: 'conv'; channels: number; kernel: number; valid?: boolean } | { kind: 'fc'; units: number };

export interface ArchSpec {
  kind: 'mlp' | 'cnn' | 'resnet';
  layers: Layer[];
  classes: number;
  /** resnet: depth 6n+2 (n basic blocks per stage, three stages) and the first stage's width (then ×2, ×4). */
  resnet?: { depth: number; width: number };
  /** The input item a cnn declares (`cnn:3x32x32:...`: channels × height × width); else the data's. */
  input?: [number, number, number];
}

const JAX_CONVNET = 'cnn:24v-k3.32v-fc128-10';

/** Parses a spec; throws a message with the accepted forms. */
export function parseArch(spec: string): ArchSpec {
  const text = spec === 'convnet' ? JAX_CONVNET : spec;
  const bad = () => new ModelError(`'${spec}' is not a student spec: use mlp:784-64-10 (widths), cnn:8-16-10 (conv channels, then classes; fc64 for a dense layer, k3.32 for a 3×3 conv; cnn:3x32x32:... names a colour input), resnet:20-10 (CIFAR ResNet of depth 6n+2; resnet:8w8-10 at width 8) or convnet`);
  const fields = text.split(':');
  const kind = fields[0];
  let input: ArchSpec['input'];
  if (kind === 'resnet') {
    const m = /^(\d+)(?:w(\d+))?-(\d+)$/.exec(fields[fields.length - 1] ?? '');
    if (!m || fields.length > 3) throw bad();
    const depth = Number(m[1]), width = m[2] ? Number(m[2]) : 16, classes = Number(m[3]);
    if (depth < 8 || (depth - 2) % 6 !== 0) throw new ModelError(`'${spec}': a CIFAR ResNet's depth is 6n+2 (8, 14, 20, 32, 44, 56), not ${depth}`);
    if (!(width >= 1) || !(classes >= 2)) throw bad();
    if (fields.length === 3) {
      const s3 = /^(\d+)x(\d+)x(\d+)$/.exec(fields[1]!);
      if (!s3) throw bad();
      input = [Number(s3[1]), Number(s3[2]), Number(s3[3])];
    }
    return { kind: 'resnet', layers: [], classes, resnet: { depth, width }, ...(input ? { input } : {}) };
  }
  if (kind === 'cnn' && fields.length === 3) {
    const m = /^(\d+)x(\d+)x(\d+)$/.exec(fields[1]!);
    if (!m) throw bad();
    input = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (!input.every((d) => d >= 1)) throw bad();
  } else if (fields.length !== 2) throw bad();
  const body = fields[fields.length - 1];
  if ((kind !== 'mlp' && kind !== 'cnn') || !body) throw bad();
  const parts = body.split('-');
  const classes = Number(parts.pop());
  if (!(Number.isInteger(classes) && classes >= 2)) throw bad();
  const layers: Layer[] = [];
  for (const p of parts) {
    let m: RegExpMatchArray | null;
    if (kind === 'mlp') {
      const units = Number(p);
      if (!(Number.isInteger(units) && units >= 1)) throw bad();
      layers.push({ kind: 'fc', units });
    } else if ((m = p.match(/^fc(\d+)$/))) layers.push({ kind: 'fc', units: Number(m[1]) });
    else if ((m = p.match(/^(?:k(\d+)\.)?(\d+)(v?)$/))) layers.push({ kind: 'conv', channels: Number(m[2]), kernel: m[1] ? Number(m[1]) : 5, ...(m[3] ? { valid: true } : {}) });
    else throw bad();
  }
  if (kind === 'mlp') {
    if (layers.length < 1) throw bad();
    layers.shift(); // the first width is the input size, checked against the data when built
  }
  return { kind, layers, classes, ...(input ? { input } : {}) };
}


export interface WidthSpec { overall: number; layers: Record<string, number> }

export const WIDTH_FORMS = 'width:0.5 (every layer at half its channels) or width:0.5,conv2=0.25 (per layer, by the node making the channels)';

/** `width:0.5` or `width:0.5,conv2=0.25`; null when the spec is not a width spec. */
export function parseWidth(spec: string): WidthSpec | null {
  if (!spec.startsWith('width:')) return null;
  const bad = (why: string) => new ModelError(`'${spec}' ${why}: use ${WIDTH_FORMS}`);
  const out: WidthSpec = { overall: 1, layers: {} };
  for (const part of spec.slice(6).split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, value] = part.includes('=') ? part.split('=') as [string, string] : [null, part];
    const m = Number(value);
    if (!(m > 0 && m <= 1)) throw bad(`has a width of '${value}', which is not a share in (0, 1]`);
    if (name === null) out.overall = m;
    else out.layers[name.trim()] = m;
  }
  if (out.overall === 1 && !Object.keys(out.layers).length) throw bad('keeps every channel');
  return out;
}

/** Whether the spec names a student made from the teacher, which hard-label training (no teacher) cannot make. */
export function madeFromTeacher(spec: string): boolean {
  const s = spec.trim();
  return s === 'binary' || s === 'int8' || s.startsWith('width:');
}

/** Student specs made from the teacher (`width:0.5`, `binary`, `int8`), checked without the model (the page checks them as typed). */
import { ModelError } from '../core/errors';

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

/**
 * `predict <model.onnx> <image>... [--top K] [--json]`: the model's top classes for each image,
 * decoded and preprocessed as the studio does (the spec from --preset and the other spec flags over
 * the model's metadata or its input shape). --json prints one line per image.
 */
import { basename } from 'node:path';
import { openStudio, readInput, UsageError, type Flags } from './common';
import { classesFrom, specOverridesFrom } from './data-input';
import { wholeFlag } from './steps-from-flags';
import { describeSpec } from '../recipe/image-spec';

export async function predictCommand(rest: string[], flags: Flags): Promise<void> {
  const [modelPath, ...imagePaths] = rest;
  if (!modelPath) throw new UsageError('a model file is needed, then one or more images');
  if (!imagePaths.length) throw new UsageError('name one or more image files to classify');
  const top = wholeFlag(flags, 'top') ?? 5;
  const spec = specOverridesFrom(flags);
  const classNames = classesFrom(flags);
  const model = readInput(modelPath, 'model');
  const files = imagePaths.map((p) => ({ name: p, bytes: readInput(p, 'image') }));
  const rt = await openStudio();
  const root = await rt.loadModel(model, basename(modelPath));
  const r = await rt.images.predict(root.id, files, { spec, top, classNames });
  if (!flags.json) console.log(`spec       ${describeSpec(r.spec)} (${r.spec.origin})`);
  for (const p of r.predictions) {
    if (flags.json) { console.log(JSON.stringify(p)); continue; }
    console.log(`${p.file}\n${p.top.map((t) => `  ${(100 * t.score).toFixed(2).padStart(6)} %  ${t.index}${t.label ? ` ${t.label}` : ''}`).join('\n')}`);
  }
}

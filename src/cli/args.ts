/**
 * The CLI's flags in one table: the parser accepts exactly these (per command) and --help is
 * printed from them, so the two cannot drift. Switches never take a value, so `--binary model.onnx`
 * keeps the model as a positional argument.
 */
export interface FlagSpec {
  name: string;
  /** Placeholder of the value; absent for a switch. */
  value?: string;
  help: string;
}
export interface FlagGroup { title: string; flags: FlagSpec[] }
/** The flags of a command line by name: a value, or true for a switch. */
export type Flags = Record<string, string | true>;
export interface ParsedArgs { positional: string[]; flags: Flags }

/** A mistake in the command line: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

const GLOBAL: FlagGroup = { title: 'global flags', flags: [
  { name: 'help', help: 'print this help (a command\'s own: npm run cli -- quantize --help)' },
  { name: 'json', help: 'print one JSON object on stdout (progress still goes to stderr: a bar on a terminal, plain lines otherwise)' },
  { name: 'verbose', help: 'let Dawn and the Vulkan driver print their own warnings on stderr, and say which driver runs' },
] };

/** How images become model inputs: shared by evaluation and training. */
const PREPROCESS: FlagSpec[] = [
  { name: 'preprocess', value: 'raw|unit|normalize', help: 'IDX data: keep 0-255, scale to [0,1], or (x/255 - mean)/std (default normalize)' },
  { name: 'mean', value: 'M[,M,M]', help: 'mean on the 0-1 scale, one value or one per channel (default: IDX 0.1307, MNIST\'s; images: the preset\'s)' },
  { name: 'std', value: 'S[,S,S]', help: 'standard deviation, one value or one per channel (default: IDX 0.3081; images: the preset\'s)' },
  { name: 'preset', value: 'NAME', help: 'image preprocessing preset: mnist, cifar10, cifar10-alt, imagenet (torchvision), caffe (BGR, 0-255 less the mean), keras (-1..1), unit (default: the model\'s metadata, else a guess from its input shape)' },
  { name: 'size', value: 'S|HxW', help: 'images: the model input\'s size (default the model\'s)' },
  { name: 'crop-pct', value: 'P', help: 'images: resize the shorter side to size/P, then crop the centre (timm\'s crop_pct; 0.875 = Resize 256 + CenterCrop 224)' },
  { name: 'squash', help: 'images: resize to the size directly, ignoring the aspect ratio (instead of shorter side + centre crop)' },
  { name: 'interpolation', value: 'bilinear|bicubic|nearest', help: 'images: resampling filter, antialiased when shrinking as Pillow does (default bilinear)' },
  { name: 'channel-order', value: 'RGB|BGR', help: 'images: colour channel order the model wants' },
  { name: 'layout', value: 'NCHW|NHWC', help: 'images: where the channel dim sits (default the model input\'s)' },
  { name: 'scale', value: '0-1|0-255|-1-1', help: 'images: value range instead of a mean and std' },
  { name: 'classes', value: 'FILE', help: 'class names, one per line, in the model\'s output order (default: classes.txt beside the images, the model\'s metadata, else sorted folder names)' },
];

/** One data source of any kind (see docs: a class folder, a zip of one, a CSV/TSV manifest, CIFAR batches, .npy/.npz). */
const dataFlag = (name: string, what: string): FlagSpec => ({ name, value: 'PATH', help: `${what}: a folder of class folders, a .zip of one, a CSV/TSV manifest (file,label), CIFAR-10/100 .bin batches or their .tar.gz, or .npy/.npz arrays` });
const DATA_LIMIT: FlagSpec = { name: 'data-limit', value: 'N', help: 'images: read only the first N items of each image source (default all)' };

const EVAL: FlagGroup = { title: 'evaluation flags (eval, and quantize\'s before/after evaluation)', flags: [
  dataFlag('data', 'the test images'),
  { name: 'images', value: 'FILE', help: 'IDX images (raw or .gz) to evaluate on; default: the MNIST test set' },
  { name: 'labels', value: 'FILE', help: 'IDX labels that go with --images' },
  ...PREPROCESS, DATA_LIMIT,
  { name: 'limit', value: 'N', help: 'evaluate the first N samples only (default all)' },
  { name: 'batch', value: 'B', help: 'batch size for accuracy and the second latency figure (default 64)' },
  { name: 'runs', value: 'R', help: 'timed runs per latency figure, after warm-up (default 20)' },
] };

const SCHEME: FlagGroup = { title: 'quantize: scheme and output (one scheme)', flags: [
  { name: 'int8', help: 'post-training int8: standard ONNX QDQ model' },
  { name: 'binary', help: 'XNOR-Net binarization of Conv/Gemm layers (the studio\'s own format)' },
  { name: 'auto', help: 'per-layer sensitivity, then the smallest mix within --budget' },
  { name: 'out', value: 'FILE', help: 'where to write the compressed model (.onnx); required' },
  { name: 'dynamic-batch', help: 'write the exported model with a symbolic batch dimension instead of the file\'s own input signature' },
] };

const INT8: FlagGroup = { title: 'quantize --int8 (and --auto) flags', flags: [
  { name: 'per-tensor', help: 'one weight scale per tensor (default per output channel)' },
  { name: 'asymmetric', help: 'asymmetric weights (default symmetric)' },
  { name: 'dynamic', help: 'activation ranges measured per batch at run time (DynamicQuantizeLinear); reads no calibration data' },
  { name: 'calibration', value: 'minmax|percentile|mse', help: 'how activation ranges are calibrated (default minmax)' },
  { name: 'percentile', value: 'P', help: 'percentile for --calibration percentile (default 99.99)' },
  { name: 'calibration-samples', value: 'N', help: 'calibration samples (default 256)' },
  dataFlag('calibration-data', 'images to calibrate on'),
  { name: 'calibration-images', value: 'FILE', help: 'IDX images to calibrate on; default: the last --calibration-samples items of the evaluation set' },
  { name: 'calibration-labels', value: 'FILE', help: 'IDX labels that go with --calibration-images' },
] };

const BINARY: FlagGroup = { title: 'quantize --binary (and --auto --with-binary) flags', flags: [
  { name: 'keep-first-last', help: 'keep the first and last layers float32 (the default)' },
  { name: 'binarize-all', help: 'binarize the first and last layers too' },
  { name: 'activation-scale', help: 'scale binarized activations by beta = mean|x|' },
] };

const AUTO: FlagGroup = { title: 'quantize --auto flags', flags: [
  { name: 'budget', value: 'P', help: 'largest accuracy drop allowed, in points (default 0.5)' },
  { name: 'with-binary', help: 'also measure binary per layer and let the mix use it' },
  { name: 'search-samples', value: 'N', help: 'evaluation items the search measures on (default 1000)' },
] };

const TRAIN: FlagGroup = { title: 'train and distill flags', flags: [
  { name: 'out', value: 'FILE', help: 'where to write the trained student (.onnx); required' },
  { name: 'student', value: 'SPEC|FILE', help: 'distill: the student, mlp:784-32-10, cnn:8-16-10 (cnn:3x32x32:k3.16-k3.32-10 for colour images), resnet:20-10 (a CIFAR ResNet; resnet:8w8-10 narrower), convnet, width:0.5 (the teacher at half width), an ONNX file, or binary / int8 (the teacher trained quantisation-aware)' },
  { name: 'temperature', value: 'T', help: 'distill: softmax temperature of the soft targets (default 4)' },
  { name: 'alpha', value: 'A', help: 'distill: weight of the teacher\'s soft targets, 1 - A goes to the labels (default 0.9)' },
  { name: 'epochs', value: 'E', help: 'passes over the training items (default 3)' },
  { name: 'batch', value: 'B', help: 'minibatch size (default 64)' },
  { name: 'lr', value: 'L', help: 'learning rate (default 1e-3 for adamw, 0.05 for sgd)' },
  { name: 'optimizer', value: 'sgd|adamw', help: 'SGD with momentum, or AdamW (default adamw)' },
  { name: 'momentum', value: 'M', help: 'SGD momentum, or Adam\'s beta1 (default 0.9)' },
  { name: 'weight-decay', value: 'W', help: 'weight decay of weights, not biases or BatchNorm (default 0; decoupled for adamw)' },
  { name: 'schedule', value: 'S', help: 'learning rate: constant, cosine or step:EVERY:GAMMA, optionally +warmup:N (default constant)' },
  { name: 'seed', value: 'S', help: 'seed of the student\'s initial weights and the shuffling (default 1)' },
  { name: 'train-samples', value: 'N', help: 'train on the first N training items (default all)' },
  { name: 'test-samples', value: 'N', help: 'evaluate on the first N test items after each epoch (default all)' },
  dataFlag('data', 'the training images'),
  dataFlag('test-data', 'the test images (default: --data with train -> test in its name)'),
  { name: 'images', value: 'FILE', help: 'IDX training images (raw or .gz); default: the MNIST training set' },
  { name: 'labels', value: 'FILE', help: 'IDX training labels that go with --images' },
  { name: 'test-images', value: 'FILE', help: 'IDX test images; default MNIST\'s, or --images with train -> t10k/test in its name' },
  { name: 'test-labels', value: 'FILE', help: 'IDX test labels that go with --test-images' },
  { name: 'augment', value: 'crop,flip', help: 'training augmentations: random crop with 4-pixel padding and/or horizontal flips (default none)' },
  ...PREPROCESS, DATA_LIMIT,
] };

const PRUNE: FlagGroup = { title: 'prune flags', flags: [
  { name: 'out', value: 'FILE', help: 'where to write the pruned model (.onnx); required' },
  { name: 'granularity', value: 'fine|vector|kernel|filter|2:4|block', help: 'what is removed together: a weight, a kernel row, a k×k kernel, an output channel (the model shrinks), 2 of every 4, or a whole block: a residual block or a Concat branch (default fine)' },
  { name: 'sparsity', value: 'S', help: 'fraction of each layer\'s weights (filter: channels; block: the removable blocks) to remove, in [0, 1); 2:4 is always 0.5' },
  { name: 'criterion', value: 'l1|l2|random|taylor|bn', help: 'what ranks the weights: magnitude, a seeded random control, |w·dL/dw| measured on training data, or BatchNorm γ (filters) (default l1)' },
  { name: 'layers', value: 'a=0.5,b=0.3', help: 'per-layer sparsity by node name, overriding --sparsity (0 keeps a layer whole; block: a block\'s Add=1 removes it)' },
  { name: 'scope', value: 'layer|global', help: 'every layer at its sparsity, or one magnitude threshold over all layers (default layer)' },
  { name: 'schedule', value: 'oneshot|iterative|gradual', help: 'prune at once; in equal steps; or Zhu & Gupta\'s cubic ramp, with fine-tuning between (default oneshot)' },
  { name: 'stages', value: 'N', help: 'pruning steps of the iterative and gradual schedules (default 4 and 8)' },
  { name: 'finetune-epochs', value: 'E', help: 'epochs of fine-tuning (masked layers stay pruned); 0 prunes only and needs no data (default 0)' },
  { name: 'distill', help: 'fine-tune on the unpruned model\'s softened outputs (--temperature, --alpha)' },
  { name: 'lr-schedule', value: 'S', help: 'fine-tuning learning rate: constant, cosine or step:EVERY:GAMMA, optionally +warmup:N (default cosine)' },
] };

const FINETUNE: FlagGroup = { title: 'prune: fine-tuning flags (as train and distill take them)', flags: TRAIN.flags.filter((f) => !['out', 'student', 'schedule', 'epochs'].includes(f.name)) };

const SENSITIVITY: FlagGroup = { title: 'sensitivity flags', flags: [
  { name: 'granularity', value: 'fine|vector|kernel|filter|2:4|block', help: 'granularity each layer is pruned at; block: each removable block removed alone (default fine)' },
  { name: 'criterion', value: 'l1|l2|random|bn', help: 'what ranks the weights (default l1)' },
  { name: 'levels', value: '0.1,0.2,...', help: 'sparsities measured per layer (default 0.1 to 0.9 in steps of 0.1)' },
  { name: 'budget', value: 'P', help: 'also choose per-layer sparsities removing the most FLOPs within this accuracy drop, in points' },
  { name: 'test-samples', value: 'N', help: 'test items each point is measured on (default 1000)' },
  dataFlag('test-data', 'the test images'),
  { name: 'test-images', value: 'FILE', help: 'IDX test images; default: the MNIST test set' },
  { name: 'test-labels', value: 'FILE', help: 'IDX test labels that go with --test-images' },
  ...PREPROCESS, DATA_LIMIT,
] };

const RUN: FlagGroup = { title: 'run flags', flags: [
  { name: 'out', value: 'DIR', help: 'folder for the variants (NN-name.onnx), the files export steps write, and report.json; required' },
  { name: 'model', value: 'FILE', help: 'the model the recipe starts from; default: the file the recipe names, beside it, here or in fixtures/' },
  { name: 'images', value: 'FILE', help: 'IDX test images (raw or .gz); default: the MNIST test set' },
  { name: 'labels', value: 'FILE', help: 'IDX test labels that go with --images' },
  { name: 'train-images', value: 'FILE', help: 'IDX training images for train, distill and fine-tuning steps; default: the MNIST training set' },
  { name: 'train-labels', value: 'FILE', help: 'IDX training labels that go with --train-images' },
  { name: 'calibration-images', value: 'FILE', help: 'IDX images for steps that calibrate on a calibration set' },
  { name: 'calibration-labels', value: 'FILE', help: 'IDX labels that go with --calibration-images' },
  dataFlag('data', 'the test images'), dataFlag('train-data', 'the training images'), dataFlag('calibration-data', 'the calibration images'),
  ...PREPROCESS.filter((f) => f.name !== 'preprocess'), DATA_LIMIT,
] };

const PREDICT: FlagGroup = { title: 'predict flags', flags: [
  { name: 'top', value: 'K', help: 'classes shown per image, best first (default 5)' },
  ...PREPROCESS.filter((f) => f.name !== 'preprocess'),
] };

export const COMMANDS: Record<string, { args: string; summary: string; groups: FlagGroup[] }> = {
  eval: { args: '<model.onnx>', summary: 'accuracy, latency, size and params of a model on WebGPU', groups: [EVAL, GLOBAL] },
  quantize: { args: '<model.onnx> --int8|--binary|--auto --out <file.onnx>', summary: 'compress a model, write it, and report before and after',
    groups: [SCHEME, INT8, BINARY, AUTO, EVAL, GLOBAL] },
  train: { args: '<spec|model.onnx> --out <student.onnx>', summary: 'train a model on hard labels with the studio\'s WebGPU trainer', groups: [TRAIN, GLOBAL] },
  distill: { args: '[teacher.onnx] --student <spec|file.onnx> --out <student.onnx>', summary: 'train a student on a teacher\'s softened outputs (Hinton 2015); the default teacher is the studio-trained CNN', groups: [TRAIN, GLOBAL] },
  prune: { args: '[model.onnx] --sparsity S --out <file.onnx>', summary: 'prune at one of five granularities, optionally fine-tuned; the default model is the studio-trained CNN', groups: [PRUNE, FINETUNE, GLOBAL] },
  sensitivity: { args: '[model.onnx]', summary: 'accuracy against sparsity with one layer pruned at a time (Li et al. 2017), and per-layer ratios within a budget', groups: [SENSITIVITY, GLOBAL] },
  predict: { args: '<model.onnx> <image>...', summary: 'classify single images (JPEG, PNG, WebP, BMP): the top classes with their probabilities', groups: [PREDICT, GLOBAL] },
  run: { args: '<recipe.json> --out <DIR>', summary: 'run a recipe (examples/*.recipe.json): every step\'s variant, its measurements and its goals in DIR/report.json', groups: [RUN, GLOBAL] },
};

const flagsOf = (groups: FlagGroup[]) => new Map(groups.flatMap((g) => g.flags).map((f) => [f.name, f]));
const ALL = flagsOf([GLOBAL, ...Object.values(COMMANDS).flatMap((c) => c.groups)]);

/** Every flag a command accepts (the global ones for no command). */
export function acceptedFlags(command?: string): FlagSpec[] {
  return [...flagsOf(command && COMMANDS[command] ? COMMANDS[command].groups : [GLOBAL]).values()];
}

/** Parses argv against the table; unknown flags, missing values and flags of another command are usage errors. */
export function parseArgs(argv: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') continue; // npm run passes its own separator through
    if (a === '-h') { flags.help = true; continue; }
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const spec = ALL.get(name);
    if (!spec) throw new UsageError(`unknown flag --${name}`);
    if (!spec.value) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
    } else if (eq >= 0) flags[name] = a.slice(eq + 1);
    else if (i + 1 < argv.length) flags[name] = argv[++i]!;
    else throw new UsageError(`--${name} needs a value (${spec.value})`);
  }
  const command = positional[0];
  if (command !== undefined && !COMMANDS[command]) throw new UsageError(`unknown command '${command}'; commands: ${Object.keys(COMMANDS).join(', ')}`);
  if (command) {
    const accepted = new Set(acceptedFlags(command).map((f) => f.name));
    const foreign = Object.keys(flags).filter((f) => !accepted.has(f));
    if (foreign.length) throw new UsageError(`${command} does not take ${foreign.map((f) => `--${f}`).join(', ')}`);
  }
  return { positional, flags };
}

function formatGroup(g: FlagGroup): string {
  const left = g.flags.map((f) => `  --${f.name}${f.value ? ` ${f.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return `${g.title}:\n${g.flags.map((f, i) => `${left[i]!.padEnd(width)}${f.help}`).join('\n')}`;
}

/** Help for one command, or (none) for all of them: every flag the parser accepts, from the same table. */
export function helpText(command?: string): string {
  const one = command && COMMANDS[command];
  const names = one ? [command] : Object.keys(COMMANDS);
  const usage = names.map((n, i) => `${i ? '       ' : 'usage: '}npm run cli -- ${n} ${COMMANDS[n]!.args} [flags]`).join('\n');
  const summaries = one ? one.summary : `commands:\n${names.map((n) => `  ${n.padEnd(Math.max(...names.map((m) => m.length)) + 2)}${COMMANDS[n]!.summary}`).join('\n')}`;
  const groups = [...new Set(names.flatMap((n) => COMMANDS[n]!.groups))].filter((g) => g !== GLOBAL);
  return [usage, summaries, ...[...groups, GLOBAL].map(formatGroup),
    "Errors: one line on stderr starting 'error:'; exit code 1, or 2 for a mistake in the command line."].join('\n\n');
}

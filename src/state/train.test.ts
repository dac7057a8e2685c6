/** The Train & distil card's checks of its inputs, and how the worker names students and paces read-backs. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_INPUTS, fittedCounts, inputProblems, proposedStudent, type TrainInputs } from './train';
import { reportEvery } from '../worker/train-job';

const counts: Parameters<typeof inputProblems>[1] = { trainCount: 60_000, testCount: 10_000, teacherClasses: 10 };
const problems = (patch: Partial<TrainInputs>, c = counts) => inputProblems({ ...DEFAULT_TRAIN_INPUTS, ...patch }, c);

describe('Train & distil inputs', () => {
  it('accepts the defaults and every preset', () => {
    expect(problems({})).toEqual({});
    for (const student of ['mlp:784-32-10', 'mlp:784-64-10', 'cnn:8-16-10', 'convnet']) expect(problems({ student })).toEqual({});
  });

  it('names each bad field in words', () => {
    const p = problems({ epochs: '0', batch: '1.5', lr: '-1', seed: 'x', trainSamples: '70000', testSamples: '', temperature: '0', alpha: '1.2', schedule: 'linear' });
    expect(Object.keys(p).sort()).toEqual(['alpha', 'batch', 'epochs', 'lr', 'schedule', 'seed', 'temperature', 'testSamples', 'trainSamples']);
    // The step schema's words (the CLI and recipe files say the same), under the card's field names.
    expect(p.epochs).toBe('Epochs must be ≥ 1 (got 0).');
    expect(p.batch).toBe('Batch must be a whole number (got 1.5).');
    expect(p.testSamples).toBe('Test samples must be a number.');
    expect(p.trainSamples).toBe('Training samples must be at most 60,000, the items the set holds.');
    expect(p.alpha).toBe('α must be in [0, 1] (got 1.2).');
    expect(p.schedule).toMatch(/^The schedule must be constant, cosine or step:EVERY:GAMMA.*\(got "linear"\)/);
  });

  it('refuses a student whose classes differ from the teacher only when distilling, and a spec it cannot parse', () => {
    expect(problems({ student: 'mlp:784-16-5' }).student).toBe('The student scores 5 classes but the teacher 10; distillation needs the same classes in both.');
    expect(problems({ student: 'mlp:784-16-5', mode: 'hard' })).toEqual({}); // the worker checks the labels
    expect(problems({ student: 'mlp:784-16-5' }, { ...counts, teacherClasses: null })).toEqual({});
    expect(problems({ student: 'rnn:10' }).student).toMatch(/not a student spec/);
    // T and α do not apply without a teacher.
    expect(problems({ mode: 'hard', temperature: '', alpha: '7' })).toEqual({});
  });

  it('takes the teacher at a smaller width, binary and int8 only when distilling, and variants by name', () => {
    for (const student of ['width:0.5', 'width:0.5,conv2=0.25', 'binary', 'int8']) {
      expect(problems({ student })).toEqual({});
      expect(problems({ student, mode: 'hard' }).student).toMatch(/is made from the teacher: choose "Distil from the teacher"/);
    }
    expect(problems({ student: 'width:1.5' }).student).toMatch(/not a share in \(0, 1\]/);
    const variants = [{ name: 'lenet-mnist-int8-pc-minmax.onnx', kind: 'int8' }, { name: 'lenet-mnist-mixed-x.onnx', kind: 'mixed' }];
    expect(problems({ student: 'lenet-mnist-int8-pc-minmax.onnx' }, { ...counts, variants })).toEqual({});
    expect(problems({ student: 'lenet-mnist-mixed-x.onnx' }, { ...counts, variants }).student).toMatch(/mixes precisions per layer/);
    expect(problems({ student: 'nope.onnx' }, { ...counts, variants }).student).toMatch(/or name a variant from the Variants table/);
  });
});

describe('read-backs', () => {
  it('reads back about 120 points per run, at most every 50 steps', () => {
    expect(reportEvery(16)).toBe(1);
    expect(reportEvery(188)).toBe(2);
    expect(reportEvery(1_000_000)).toBe(50);
  });
});

describe('the student proposed for a teacher the MNIST default does not fit', () => {
  const imagenet = { name: 'resnet50', classes: 1000, inputShape: [1, 3, 224, 224] };
  it('proposes the teacher at half width, saying why, while the field holds the default', () => {
    const p = proposedStudent(DEFAULT_TRAIN_INPUTS, imagenet);
    expect(p?.student).toBe('width:0.5');
    expect(p?.why).toBe('mlp:784-32-10 is an MNIST student (784 inputs, 10 classes); resnet50 takes [3, 224, 224] and scores 1000 classes');
    // What it proposes is a student the card accepts for that teacher.
    expect(inputProblems({ ...DEFAULT_TRAIN_INPUTS, student: p!.student }, { trainCount: null, testCount: null, teacherClasses: 1000 }).student).toBeUndefined();
    expect(inputProblems(DEFAULT_TRAIN_INPUTS, { trainCount: null, testCount: null, teacherClasses: 1000 }).student).toMatch(/10 classes but the teacher 1000/);
  });

  it('proposes nothing for an MNIST teacher, a student the user typed, hard labels, or no teacher', () => {
    expect(proposedStudent(DEFAULT_TRAIN_INPUTS, { name: 'lenet', classes: 10, inputShape: ['N', 1, 28, 28] })).toBeNull();
    expect(proposedStudent(DEFAULT_TRAIN_INPUTS, { name: 'mlp', classes: 10, inputShape: [1, 784] })).toBeNull();
    expect(proposedStudent({ ...DEFAULT_TRAIN_INPUTS, student: 'cnn:8-16-10' }, imagenet)).toBeNull();
    expect(proposedStudent({ ...DEFAULT_TRAIN_INPUTS, mode: 'hard' }, imagenet)).toBeNull();
    expect(proposedStudent(DEFAULT_TRAIN_INPUTS, null)).toBeNull();
    // A CIFAR teacher with 10 classes still needs another student: its input is not 784 values.
    expect(proposedStudent(DEFAULT_TRAIN_INPUTS, { name: 'cifar', classes: 10, inputShape: [1, 3, 32, 32] })?.student).toBe('width:0.5');
  });
});

describe('the sample counts a taken proposal lowers to fit the data', () => {
  it('lowers each count that asks for more items than its set holds, and only those', () => {
    // One dropped photo, trained and tested on: both counts become 1, and the card then has no count to object to.
    const one = { trainCount: 1, testCount: 1 };
    const fitted = fittedCounts(DEFAULT_TRAIN_INPUTS, one);
    expect(fitted).toEqual({ trainSamples: '1', testSamples: '1' });
    const after = inputProblems({ ...DEFAULT_TRAIN_INPUTS, ...fitted }, { ...one, teacherClasses: 10 });
    expect(after.trainSamples).toBeUndefined();
    expect(after.testSamples).toBeUndefined();
    expect(inputProblems(DEFAULT_TRAIN_INPUTS, { ...one, teacherClasses: 10 }).testSamples).toMatch(/at most 1,/);
    // 500 CIFAR images: the training count (6,000) drops, the test count (2,000) too; the MNIST set keeps both.
    expect(fittedCounts(DEFAULT_TRAIN_INPUTS, { trainCount: 500, testCount: 500 })).toEqual({ trainSamples: '500', testSamples: '500' });
    expect(fittedCounts(DEFAULT_TRAIN_INPUTS, { trainCount: 60_000, testCount: 10_000 })).toEqual({});
  });

  it('leaves a count alone where its set is not loaded, or the field holds no number', () => {
    expect(fittedCounts(DEFAULT_TRAIN_INPUTS, { trainCount: null, testCount: null })).toEqual({});
    expect(fittedCounts({ trainSamples: 'all', testSamples: '' }, { trainCount: 5, testCount: 5 })).toEqual({});
  });
});

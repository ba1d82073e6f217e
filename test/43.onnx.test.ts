/**
 * Layer 9: models from PyTorch. The fixtures (test/fixtures/onnx, made by make_fixtures.py with
 * PyTorch 1.13 from Debian) are torch.onnx.export files of an MLP (Gemm, and the MatMul + Add form)
 * and a convnet (Conv, MaxPool, Flatten, Gemm), the same networks as hand-written model JSON with
 * their parameters_to_vector, and PyTorch's own float64 loss, gradient and Hessian. The import must
 * give the JSON's model and parameters exactly, and the engine PyTorch's numbers; a state_dict as
 * .safetensors gives the same parameters; bad files are one line and exit 2.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { computeCurvature, evaluate, modelFromOnnx, normalizeModel, paramsFromSafetensors } from '../src';
import { readNpy } from '../src/io/npy';
import { runCli } from './helpers/cli';
import { maxAbsDiff } from './helpers/fixtures';

const dir = path.join(__dirname, 'fixtures', 'onnx');
const at = (f: string) => path.join(dir, f);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-onnx-'));

function reference(name: string) {
  const model = normalizeModel(JSON.parse(fs.readFileSync(at(`${name}.model.json`), 'utf8')));
  const params = readNpy(at(`${name}.params.npy`)).data as Float64Array;
  const X = readNpy(at(`${name}.X.npy`)).data as Float64Array;
  const y = Int32Array.from(readNpy(at(`${name}.y.npy`)).data as BigInt64Array, Number);
  const torch = JSON.parse(fs.readFileSync(at(`${name}.torch.json`), 'utf8')) as { loss: number; gradient: number[] };
  const H = readNpy(at(`${name}.hessian.npy`));
  return { model, params, data: { X, y }, torch, H: H.data as Float64Array };
}

describe.each([
  ['mlp.onnx (Gemm)', 'mlp.onnx', 'mlp'],
  ['mlp_matmul.onnx (MatMul + Add)', 'mlp_matmul.onnx', 'mlp'],
  ['convnet.onnx (Conv, MaxPool, Flatten, Gemm)', 'convnet.onnx', 'convnet'],
])('modelFromOnnx: %s', (_label, file, name) => {
  const ref = reference(name);
  const imported = modelFromOnnx(at(file));

  it('reads the architecture and the weights of the hand-written model JSON and parameters_to_vector', () => {
    expect(imported.model).toEqual(ref.model);
    expect(imported.params).toEqual(ref.params);
    expect(imported.producer).toMatch(/^pytorch/);
  });

  it("gives PyTorch's float64 loss and gradient", () => {
    const e = evaluate(imported.model, imported.params, ref.data);
    expect(Math.abs(e.loss - ref.torch.loss)).toBeLessThan(1e-13 * Math.max(1, ref.torch.loss));
    const scale = Math.max(...ref.torch.gradient.map(Math.abs));
    expect(maxAbsDiff(e.gradient, ref.torch.gradient)).toBeLessThan(1e-12 * scale);
  });

  it("gives PyTorch's Hessian (torch.autograd.functional.hessian), and the JSON model's", async () => {
    const fromOnnx = await computeCurvature(imported.model, imported.params, ref.data, { matrices: ['hessian'] });
    const fromJson = await computeCurvature(ref.model, ref.params, ref.data, { matrices: ['hessian'] });
    try {
      const h = fromOnnx.matrices.hessian!.toArray();
      const scale = Math.max(...Array.from(ref.H, Math.abs));
      expect(h.length).toBe(ref.H.length);
      expect(maxAbsDiff(h, ref.H)).toBeLessThan(1e-10 * scale);
      expect(maxAbsDiff(h, fromJson.matrices.hessian!.toArray())).toBe(0);
    } finally {
      fromOnnx.matrices.hessian!.dispose();
      fromJson.matrices.hessian!.dispose();
    }
  });
});

describe('modelFromOnnx: loss and refusals', () => {
  it('takes the loss from the options (the file has none) and refuses an unknown one', () => {
    expect(modelFromOnnx(at('mlp.onnx'), { loss: 'mse' }).model.loss).toBe('mse');
    expect(() => modelFromOnnx(at('mlp.onnx'), { loss: 'hinge' as never })).toThrow(/options\.loss/);
  });

  it('names an unsupported operator and its node', () => {
    expect(() => modelFromOnnx(at('unsupported.onnx'))).toThrow(/node "[^"]*LeakyRelu[^"]*" \(LeakyRelu\): unsupported operator "LeakyRelu"/);
  });

  it('refuses every truncation of a file with one line', () => {
    const bytes = fs.readFileSync(at('convnet.onnx'));
    for (let cut = 0; cut < bytes.length; cut += 97) {
      let message = '';
      try {
        modelFromOnnx(bytes.subarray(0, cut), {}, 'cut.onnx');
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^cut\.onnx: /);
      expect(message.split('\n')).toHaveLength(1);
    }
  });
});

describe('.safetensors parameters', () => {
  it("a state_dict saved as .safetensors (any order, float32) gives parameters_to_vector", () => {
    const ref = reference('mlp');
    expect(paramsFromSafetensors(at('mlp.safetensors'), ref.model)).toEqual(ref.params);
  });

  it('a state_dict of another model is refused naming the tensor and both shapes', () => {
    const conv = reference('convnet');
    expect(() => paramsFromSafetensors(at('mlp.safetensors'), conv.model)).toThrow(/6 tensors .* for a model with 6|has shape \[6, 4\] where the model's layers\.0\.weight is \[3, 1, 3, 3\]/);
  });
});

describe('hessian-lab analyze --onnx', () => {
  it('analyzes an ONNX export with .npy inputs (N, C, H, W) and states the loss it assumed', async () => {
    const out = path.join(tmp, 'conv');
    const r = await runCli('analyze', '--onnx', at('convnet.onnx'), '--inputs', at('convnet.X.npy'), '--labels', at('convnet.y.npy'), '--matrices', 'hessian', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/loss cross_entropy \(the file does not hold one; --loss to change it\)/);
    const a = JSON.parse(fs.readFileSync(path.join(out, 'analysis.json'), 'utf8'));
    const ref = reference('convnet');
    expect(a.parameters).toBe(193);
    expect(Math.abs(a.loss - ref.torch.loss)).toBeLessThan(1e-13);
  });

  it('--model with --params p.safetensors gives the same loss as the .npy parameters', async () => {
    const args = (params: string, out: string) => ['analyze', '--model', at('mlp.model.json'), '--params', params, '--inputs', at('mlp.X.npy'), '--labels', at('mlp.y.npy'), '--matrices', 'hessian', '--out', path.join(tmp, out)];
    expect((await runCli(...args(at('mlp.safetensors'), 'st'))).code).toBe(0);
    expect((await runCli(...args(at('mlp.params.npy'), 'npy'))).code).toBe(0);
    const loss = (out: string) => JSON.parse(fs.readFileSync(path.join(tmp, out, 'analysis.json'), 'utf8')).loss;
    expect(loss('st')).toBe(loss('npy'));
  });

  const truncated = path.join(tmp, 'truncated.onnx');
  fs.writeFileSync(truncated, fs.readFileSync(at('mlp.onnx')).subarray(0, 700));
  it.each([
    ['a truncated file', ['--onnx', truncated, '--inputs', at('mlp.X.npy'), '--labels', at('mlp.y.npy')], /truncated\.onnx: not a readable ONNX model \(truncated or not an \.onnx file\)/],
    ['an unsupported operator', ['--onnx', at('unsupported.onnx'), '--inputs', at('mlp.X.npy'), '--labels', at('mlp.y.npy')], /unsupported operator "LeakyRelu"/],
    ['inputs of the wrong shape', ['--onnx', at('mlp.onnx'), '--inputs', at('convnet.X.npy'), '--labels', at('convnet.y.npy')], /convnet\.X\.npy: inputs must have shape \(10, 4\) .*received \(10, 1, 8, 8\)/],
    ['an unknown loss', ['--onnx', at('mlp.onnx'), '--inputs', at('mlp.X.npy'), '--labels', at('mlp.y.npy'), '--loss', 'hinge'], /--loss must be one of cross_entropy, mse, logistic/],
    ['--onnx with --params', ['--onnx', at('mlp.onnx'), '--params', at('mlp.params.npy'), '--inputs', at('mlp.X.npy'), '--labels', at('mlp.y.npy')], /--onnx takes the model and its weights from the file/],
    ['a mismatched .safetensors', ['--model', at('convnet.model.json'), '--params', at('mlp.safetensors'), '--inputs', at('convnet.X.npy'), '--labels', at('convnet.y.npy')], /mlp\.safetensors: .*shape/],
  ])('%s: one line, exit 2', async (_what, flags, message) => {
    const r = await runCli('analyze', ...(flags as string[]), '--out', path.join(tmp, 'bad'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message as RegExp);
  });
});

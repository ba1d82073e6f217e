/**
 * E4's settings: the convnet and the sizes of each preset. S18 states only “2 convolutional layers
 * (ReLU + max-pool) + 2 fully connected layers”, MNIST-1K and batches 10 / 512; channels, kernels,
 * widths, learning rate, iterations, init and seeds are unstated.
 */
import { LayerSpec, SequentialSpec } from '../../../engine/model';
import type { Size } from '../shared';

export interface E4Sizes {
  N: number;
  downsample: 1 | 2 | 4;
  /** Two [conv2d → relu → maxpool2] blocks, flatten, linear(hidden) → relu → linear(10). */
  conv: [{ channels: number; kernel: number }, { channels: number; kernel: number }];
  hidden: number;
  smallBatch: number;
  largeBatch: number;
  /** The same for both runs (S18: “same fixed learning rate, same number of iterations”). */
  lr: number;
  steps: number;
  /** One SB/LB pair per seed (the seed fixes the init, shared by the pair, and the batch orders). */
  seeds: number[];
  /** Also G and R at the first pair (values only, assembled with H in one pass); off at paper size (3 × 8.1 GB). */
  withGR: boolean;
  /**
   * λ1 over training, at the first pair: every `every` steps, the top `k` eigenvalues of H by
   * matrix-free Lanczos (`maxSteps` products at most).
   */
  sharpness: { every: number; k: number; maxSteps: number };
}

/**
 * Paper: PyTorch's classic MNIST example (conv 10@5×5, conv 20@5×5, each followed by ReLU and 2×2
 * max-pool) with a fully connected width of 80 has exactly M = 31,770, the parameter count that
 * S18 Fig. 6's rank/M axis implies (its step is 1/31,770). Batch 10 at lr 0.1 trains without
 * diverging at both sizes, and LB's λ1 then ends near 2/lr, the stability limit of (nearly)
 * full-batch GD. Quick keeps the layout on 14×14 inputs (M = 1,722) and repeats the SB/LB pair
 * over eight seeds: the end point of SB's noisy iterate moves its λ1 by a factor of two from seed
 * to seed, so claim 8 is graded on the median ratio over the pairs with an interval. The paper
 * preset runs one pair, as S18 did (one pair there takes over an hour on 2 cores).
 */
export const E4_SIZES: Record<Size, E4Sizes> = {
  tiny: { N: 200, downsample: 2, conv: [{ channels: 2, kernel: 3 }, { channels: 4, kernel: 3 }], hidden: 16, smallBatch: 10, largeBatch: 100, lr: 0.2, steps: 400, seeds: [1, 2], withGR: true,
    sharpness: { every: 100, k: 3, maxSteps: 30 } },
  quick: { N: 1000, downsample: 2, conv: [{ channels: 4, kernel: 3 }, { channels: 8, kernel: 3 }], hidden: 32, smallBatch: 10, largeBatch: 512, lr: 0.1, steps: 1000, seeds: [1, 2, 3, 4, 5, 6, 7, 8], withGR: true,
    sharpness: { every: 100, k: 3, maxSteps: 40 } },
  paper: { N: 1000, downsample: 1, conv: [{ channels: 10, kernel: 5 }, { channels: 20, kernel: 5 }], hidden: 80, smallBatch: 10, largeBatch: 512, lr: 0.1, steps: 1000, seeds: [1], withGR: false,
    sharpness: { every: 100, k: 3, maxSteps: 40 } },
};

/** The convnet of a size: [conv → relu → maxpool 2] × 2 → flatten → linear → relu → linear(10). */
export function e4Model(s: E4Sizes): SequentialSpec {
  const side = 28 / s.downsample;
  const block = (c: { channels: number; kernel: number }): LayerSpec[] => [
    { type: 'conv2d', out_channels: c.channels, kernel: c.kernel }, { type: 'relu' }, { type: 'maxpool2d', kernel: 2 },
  ];
  return {
    input_shape: [1, side, side],
    layers: [...block(s.conv[0]), ...block(s.conv[1]), { type: 'flatten' }, { type: 'linear', out: s.hidden }, { type: 'relu' }, { type: 'linear', out: 10 }],
    loss: 'cross_entropy',
  };
}

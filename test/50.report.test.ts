/** Layer 5, report: the paper's reference points, chart specs rendered to SVG, and the HTML page. */
import * as fs from 'fs';
import * as path from 'path';
import { fig1, fig2, fig3, fig4, fig5, fig6, fig7, fig8, loadReference, referenceDir } from '../src/reproduce/reference';
import {
  buildReportHtml,
  eigenvaluesByRank,
  lineInterpolation,
  logCountHistogram,
  negativeTail,
  outliersVsK,
  renderSvg,
  ReportModel,
  scatterXY,
  spectraHGR,
  trainingCurves,
  trainingPanels,
} from '../src/report';
import type { TopLevelSpec } from 'vega-lite';

/** Renders and fails the test on any vega/vega-lite warning: our specs should be clean. */
async function render(spec: TopLevelSpec): Promise<string> {
  const warnings: string[] = [];
  const svg = await renderSvg(spec, { onWarning: (m) => warnings.push(m) });
  expect(warnings).toEqual([]);
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  return svg;
}

/** The contents of every mark group of one type (e.g. 'symbol', 'line', 'rect'), excluding axes/legends. */
function markGroups(svg: string, type: string): string[] {
  const re = new RegExp(`<g class="mark-${type} role-mark[^"]*"[^>]*>(.*?)</g>`, 'g');
  return [...svg.matchAll(re)].map((m) => m[1]);
}
const count = (s: string, sub: string) => s.split(sub).length - 1;
/** Number of vertices of a vega line path "M x,y L x,y …". */
const vertices = (g: string) => (g.match(/ d="([^"]*)"/)?.[1].match(/[ML]/g) ?? []).length;
/** The text of every <text> element (tick labels, titles, legend labels). */
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

describe('paper reference points', () => {
  test('the folder holds the 8 CSVs and a README naming the source', () => {
    const dir = referenceDir();
    expect(dir.endsWith(path.join('reference', 'sagun2018'))).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.csv'))).toHaveLength(8);
    expect(fs.readFileSync(path.join(dir, 'README.md'), 'utf8')).toMatch(/arXiv:1706\.04454 \*\*v3\*\*/);
  });

  test('fig1: 5510 ascending eigenvalues at init and at the end', () => {
    const f = fig1();
    expect(f.rank).toHaveLength(5510);
    expect(f.rank[0]).toBe(1);
    expect(f.init[0]).toBe(-8.430067e-2);
    expect(f.final[0]).toBe(-2.231491e-5);
    expect(f.init[5509]).toBe(1.7583e-1);
    expect(f.final[5509]).toBe(1.344439e-2);
    expect(f.final.every((v, i) => i === 0 || v >= f.final[i - 1])).toBe(true);
  });

  test('fig2/fig3/fig4: top eigenvalues by k, by M, by batch size', () => {
    const f2 = fig2();
    expect(f2.rankDesc).toHaveLength(136);
    expect(Object.keys(f2.byK).map(Number)).toEqual([2, 5, 10, 20, 50]);
    for (const v of Object.values(f2.byK)) expect(v).toHaveLength(136);
    expect(f2.byK[2][0]).toBe(1.195806e-2);
    expect(f2.byK[50][135]).toBe(7.064798e-4);
    const f3 = fig3();
    expect(Object.keys(f3.byM).map(Number)).toEqual([7960, 23860, 39760, 55660]);
    expect(f3.byM[7960]).toHaveLength(136);
    expect(f3.byM[7960][0]).toBe(9.826513e-2);
    const f4 = fig4();
    expect(f4.rankDesc).toHaveLength(45);
    expect([f4.smallBatch[0], f4.largeBatch[0]]).toEqual([5.29934, 21.2765]);
  });

  test('fig5/fig6: negative tails vs rank/M', () => {
    const f5 = fig5();
    expect(Object.fromEntries(Object.entries(f5.byM).map(([m, s]) => [m, s.eig.length]))).toEqual({ 7960: 124, 23860: 370, 39760: 616, 55660: 862 });
    expect(f5.byM[7960].eig[0]).toBe(-5.808742e-5);
    expect(f5.byM[7960].fraction[1]).toBe(1.256439e-4); // ≈ 1/7960: one point per rank
    const f6 = fig6();
    expect(f6.fraction).toHaveLength(683);
    expect([f6.smallBatch[0], f6.largeBatch[0]]).toEqual([-3.434082e-2, -7.007227e-3]);
  });

  test('fig7/fig8: training curves and the straight line, incl. the quoted header', () => {
    const f7 = fig7().bySeries;
    expect([f7.train_loss, f7.test_loss, f7.train_acc, f7.test_acc].map((s) => s.step.length)).toEqual([304, 434, 500, 500]);
    expect([f7.train_acc.step[0], f7.train_acc.value[0]]).toEqual([100, 0.22796]);
    const f8 = fig8();
    expect(f8.alpha).toHaveLength(22);
    expect([f8.alpha[0], f8.alpha[21]]).toEqual([-1, 2]);
    expect(f8.trainLoss[f8.alpha.indexOf(0)]).toBe(0.00721);
    expect(loadReference('fig8').header[0]).toBe('alpha (0=end of Part I LB bs1000, 1=end of Part II SB bs32)');
  });

  test('an unknown name is a RangeError naming the parameter', () => {
    expect(() => loadReference('fig9' as never)).toThrow(RangeError);
    expect(() => loadReference('fig9' as never)).toThrow(/name must be one of fig1/);
  });
});

describe('renderSvg', () => {
  test('refuses to fetch data: specs must be inline', async () => {
    const spec = { data: { url: 'https://example.com/x.csv' }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } } as TopLevelSpec;
    await expect(renderSvg(spec, { onWarning: () => undefined })).rejects.toThrow(/inline.*example\.com/);
  });
});

describe('chart builders', () => {
  test('eigenvaluesByRank: paper dots one per point, our line thinned, axis titles', async () => {
    const paper = fig2().byK[10];
    const ours = paper.map((v) => v * 1.1);
    const svg = await render(eigenvaluesByRank({ series: [{ name: 'k=10', values: ours }, { name: 'k=10', values: paper, kind: 'paper' }], rankOrder: 'descending', yScale: 'log' }));
    expect(markGroups(svg, 'symbol').map((g) => count(g, '<path'))).toEqual([136]);
    expect(markGroups(svg, 'line').map(vertices)).toEqual([136]);
    expect(texts(svg)).toEqual(expect.arrayContaining(['rank (1 = largest eigenvalue)', 'eigenvalue λ of the loss Hessian', 'k=10']));
  });

  test('eigenvaluesByRank: a 60,000-point spectrum is thinned, keeps its ends, and the symlog ticks follow a planted outlier', async () => {
    const bulk = Float64Array.from({ length: 60000 }, (_, i) => ((i % 1000) - 300) * 1e-7);
    const withOutlier = (x: number) => {
      const v = bulk.slice();
      v[12345] = x;
      return v;
    };
    const small = await render(eigenvaluesByRank({ series: [{ name: 'ours', values: withOutlier(0.03) }], rankOrder: 'descending', yScale: 'symlog' }));
    const large = await render(eigenvaluesByRank({ series: [{ name: 'ours', values: withOutlier(0.3) }], rankOrder: 'descending', yScale: 'symlog' }));
    expect(texts(small)).toContain('0.01');
    expect(texts(small)).not.toContain('0.1');
    expect(texts(large)).toContain('0.1');
    const n = markGroups(small, 'line').map(vertices)[0];
    expect(n).toBeGreaterThan(1000);
    expect(n).toBeLessThanOrEqual(1500);
    expect(small).toMatch(new RegExp(`plotted ${n.toLocaleString('en-US')} of 60,000 eigenvalues: all 200 at each end`));
    expect(small.length).toBeLessThan(100_000);
  });

  test('eigenvaluesByRank: bad inputs name the parameter; the caller array is not reordered', () => {
    const base = { rankOrder: 'ascending' as const };
    expect(() => eigenvaluesByRank({ ...base, series: [] })).toThrow(RangeError);
    expect(() => eigenvaluesByRank({ ...base, series: [{ name: 'a', values: [] }] })).toThrow(/series\[0\]\.values must be a non-empty array/);
    expect(() => eigenvaluesByRank({ ...base, series: [{ name: 'a', values: [1, NaN] }] })).toThrow(/series\[0\]\.values must be all finite.*1.*NaN/);
    expect(() => eigenvaluesByRank({ ...base, series: [{ name: 'a', values: 'x' as never }] })).toThrow(TypeError);
    expect(() => eigenvaluesByRank({ ...base, series: [{ name: 'a', values: [1] }], rankOrder: 'up' as never })).toThrow(/rankOrder/);
    expect(() => eigenvaluesByRank({ ...base, series: [{ name: 'a', values: [1] }, { name: 'a', values: [2] }] })).toThrow(/series\[1\]\.name must be unique/);
    const values = [3, 1, 2];
    eigenvaluesByRank({ ...base, series: [{ name: 'a', values }] });
    expect(values).toEqual([3, 1, 2]);
  });

  test('one colour per series: ours and S18’s of one name share it, init/end keep theirs in every figure', async () => {
    const colourOf = (svg: string, type: 'line' | 'symbol') => markGroups(svg, type).map((g) => g.match(/(?:stroke|fill)="(#[0-9a-f]{6})"/)?.[1]);
    const a = await render(eigenvaluesByRank({ series: [{ name: 'init', values: [3, 2, 1] }, { name: 'end', values: [2, 1, 0] }, { name: 'S18 init', values: [3, 2, 1], kind: 'paper' }, { name: 'S18 end', values: [2, 1, 0], kind: 'paper' }], rankOrder: 'descending' }));
    const b = await render(negativeTail({ series: [{ name: 'end', values: [-1, -2, 3] }, { name: 'init', values: [-3, -4, 1] }] }));
    const lines = colourOf(a, 'line');
    expect(new Set(lines).size).toBe(2);
    const dots = markGroups(a, 'symbol').flatMap((g) => [...g.matchAll(/fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]));
    expect(new Set(dots)).toEqual(new Set(lines)); // the S18 dots take our lines' colours
    expect(colourOf(b, 'line')).toEqual([lines[1], lines[0]]); // 'end' and 'init' keep their colours whatever the order
  });

  test('eigenvaluesByRank: rankScale fraction puts spectra of different M on one axis', async () => {
    const spec = eigenvaluesByRank({ series: [{ name: 'ours', values: [1, 2, 3, 4] }, { name: 'S18 ours', values: [1, 2, 3, 4, 5, 6, 7, 8], kind: 'paper' }], rankOrder: 'ascending', rankScale: 'fraction' }) as { data: { values: { series: string; rank: number }[] } };
    const last = (name: string) => Math.max(...spec.data.values.filter((r) => r.series === name).map((r) => r.rank));
    expect([last('ours'), last('S18 ours')]).toEqual([1, 1]);
    expect(texts(await render(spec as never))).toContain('rank / M (from the smallest eigenvalue)');
  });

  test('spectraHGR: three spectra with a legend and a symlog axis', async () => {
    const h = Float64Array.from({ length: 500 }, (_, i) => (i - 20) * 1e-5);
    const svg = await render(spectraHGR({ hessian: h, ggn: h.map(Math.abs), residual: h.map((v) => -v * 0.01) }));
    expect(markGroups(svg, 'line').map(vertices)).toEqual([500, 500, 500]); // one line group per series
    expect(texts(svg)).toEqual(expect.arrayContaining(['H (Hessian)', 'G (Gauss–Newton part)', 'R (residual part)', '0']));
    expect(svg).toMatch(/symlog axis: linear within ±1e-6/);
    expect(() => spectraHGR({ hessian: h, ggn: undefined as never, residual: h })).toThrow(/ggn must be an array/);
  });

  test('negativeTail: only λ < 0 are drawn, at x = (rank − 1)/M', async () => {
    const values = [0.5, -0.004, 0.1, -0.001, -0.003, 0, -0.002, 0.2, -0.005, 0.3];
    const svg = await render(
      negativeTail({ series: [{ name: 'ours', values, M: 1000 }, { name: 'none', values: [1, 2] }, { name: 'S18', values: [-0.004, -0.001], fraction: [0, 0.001], kind: 'paper' }] }),
    );
    expect(markGroups(svg, 'line').map(vertices)).toEqual([5]);
    expect(markGroups(svg, 'symbol').map((g) => count(g, '<path'))).toEqual([2]);
    expect(svg).toMatch(/none: no negative eigenvalues/);
    expect(texts(svg)).toContain('rank / M (position from the most negative eigenvalue)');
    expect(() => negativeTail({ series: [{ name: 'x', values: [-1, -2], M: 1 }] })).toThrow(/series\[0\]\.M must be an integer in \[2,/);
  });

  test('logCountHistogram: one bar per non-empty bin, log count axis', async () => {
    const values = [0, 0, 0, 0.1, 0.9, 1, 1];
    const svg = await render(logCountHistogram({ series: [{ name: 'end', values }], bins: 10 }));
    expect(markGroups(svg, 'rect').map((g) => count(g, '<path'))).toEqual([3]); // bins 0, 1, 9
    expect(texts(svg)).toEqual(expect.arrayContaining(['count (log scale)', 'eigenvalue λ', '1']));
    expect(() => logCountHistogram({ series: [{ name: 'e', values }], bins: 0 })).toThrow(/bins must be an integer/);
  });

  test('trainingCurves: series as lines, the phase switch as a labelled rule, long series thinned', async () => {
    const points = Array.from({ length: 3000 }, (_, i) => [
      { step: i * 10, series: 'train_loss', value: 2 / (1 + i) },
      { step: i * 10, series: 'test_loss', value: 1 + 1 / (1 + i) },
    ]).flat();
    const svg = await render(trainingCurves({ points, yTitle: 'loss', logY: true, markers: [{ step: 15000, label: 'batch 1000 → 32' }], maxPoints: 500 }));
    expect(markGroups(svg, 'line').map(vertices)).toEqual([501, 501]);
    expect(markGroups(svg, 'rule')).toHaveLength(1);
    expect(texts(svg)).toEqual(expect.arrayContaining(['batch 1000 → 32', 'loss', 'iteration (SGD step)', 'train_loss', 'test_loss']));
    expect(svg).toMatch(/train_loss: plotted 501 of 3,000 points/);
    expect(() => trainingCurves({ points: [{ step: 1, series: 'a', value: NaN }], yTitle: 'loss' })).toThrow(/points\[0\]\.value/);
  });

  test('trainingPanels: one panel and one y axis per quantity on a shared step axis, a colour per series across panels', async () => {
    const steps = Array.from({ length: 50 }, (_, i) => 20 * i);
    const spec = trainingPanels({
      panels: [
        { points: steps.map((step) => ({ step, series: 'train loss', value: 1 / (1 + step) })), yTitle: 'loss', logY: true },
        { points: steps.map((step) => ({ step, series: '‖∇L‖', value: 50 + step })), yTitle: 'gradient norm' },
      ],
      xTitle: 'GD step', markers: [{ step: 100, label: 'spectra @ 100' }, { step: 980, label: 'spectra @ 980' }],
    });
    const svg = await render(spec);
    expect(markGroups(svg, 'line').map(vertices)).toEqual([50, 50]);
    expect(markGroups(svg, 'rule')).toHaveLength(2); // the markers in both panels
    const t = texts(svg);
    expect(t).toEqual(expect.arrayContaining(['loss', 'gradient norm', 'GD step', 'spectra @ 100', 'spectra @ 980']));
    expect(t.filter((x) => x === 'spectra @ 100')).toHaveLength(1); // labelled once, in the top panel
    expect(t.filter((x) => x === 'GD step')).toHaveLength(1); // one step axis title, under the last panel
    const colours = markGroups(svg, 'line').map((g) => g.match(/stroke="(#[0-9a-f]{6})"/)?.[1]);
    expect(new Set(colours).size).toBe(2);
    const domains = (spec as unknown as { vconcat: { layer: { layer: { encoding: { x: { scale: { domain: number[] } } } }[] }[] }[] }).vconcat
      .map((p) => p.layer[0].layer[0].encoding.x.scale.domain);
    expect(domains).toEqual([[0, 980], [0, 980]]);
    expect(() => trainingPanels({ panels: [] })).toThrow(/panels must be a non-empty array/);
    expect(() => trainingPanels({ panels: [{ points: [{ step: 1, series: 'a', value: 1 }], yTitle: '' }] })).toThrow(/panels\[0\]\.yTitle/);
  });

  test('lineInterpolation: ours vs the paper’s Fig. 8 with the end points marked', async () => {
    const f8 = fig8();
    const paper = f8.alpha.map((alpha, i) => ({ alpha, series: 'train_loss', value: f8.trainLoss[i] }));
    const svg = await render(lineInterpolation({ points: paper.map((p) => ({ ...p, value: p.value * 2 })), paper, yTitle: 'loss', logY: true }));
    expect(markGroups(svg, 'symbol').map((g) => count(g, '<path'))).toEqual([22, 22]); // points on our line, paper dots
    expect(texts(svg)).toEqual(expect.arrayContaining(['w_I (α = 0)', 'w_II (α = 1)', 'α in w(α) = w_I + α (w_II − w_I)']));
  });

  test('outliersVsK: a point per row and the y = k, y = k − 1 reference lines', async () => {
    const rows = [2, 5, 10, 20, 50].flatMap((k) => [
      { k, outliers: k, rule: 'gap', setting: 'ReLU SGD' },
      { k, outliers: k - 1, rule: 'elbow 0.0035', setting: 'ReLU SGD' },
      { k, outliers: 0, rule: 'ratio', setting: 'tanh GD' },
    ]);
    const svg = await render(outliersVsK({ rows }));
    expect(markGroups(svg, 'symbol').map((g) => count(g, '<path'))).toEqual([15]);
    expect(markGroups(svg, 'line')).toHaveLength(2);
    expect(texts(svg)).toEqual(expect.arrayContaining(['k (number of classes)', 'number of outlier eigenvalues', 'counting rule', '50']));
    expect(() => outliersVsK({ rows: [{ k: 2.5, outliers: 1, rule: 'r', setting: 's' }] })).toThrow(/rows\[0\]\.k must be an integer/);
  });

  test('scatterXY: log axes drop non-positive points and say so', async () => {
    const svg = await render(scatterXY({ points: [1, 2, 3, 0].map((x) => ({ x, y: x * 2, series: 's' })), xTitle: 'k', yTitle: 'trace / M', xScale: 'log', yScale: 'log' }));
    expect(markGroups(svg, 'symbol').map((g) => count(g, '<path'))).toEqual([3]);
    expect(svg).toMatch(/1 non-positive plotted values omitted/);
  });

  test('scatterXY: series keep the order given and the report’s colours (train before test, H before R)', async () => {
    const points = [1, 2, 3].flatMap((x) => [{ x, y: x, series: 'test loss' }, { x, y: 2 * x, series: 'train loss' }]);
    const svg = await render(scatterXY({ points, xTitle: 'x', yTitle: 'y', mark: 'line' }));
    const colour = (name: string) => (scatterXY({ points, xTitle: 'x', yTitle: 'y' }) as unknown as { encoding: { color: { scale: { domain: string[]; range: string[] } } } })
      .encoding.color.scale.range[['test loss', 'train loss'].indexOf(name)];
    const trainLine = await render(trainingCurves({ points: [{ step: 0, series: 'train loss', value: 1 }, { step: 1, series: 'train loss', value: 2 }], yTitle: 'loss' }));
    expect(colour('train loss')).toBe(markGroups(trainLine, 'line')[0].match(/stroke="(#[0-9a-f]{6})"/)?.[1]);
    expect(colour('test loss')).not.toBe(colour('train loss'));
    expect(markGroups(svg, 'line').map(vertices)).toEqual([3, 3]);
  });
});

describe('buildReportHtml', () => {
  let model: ReportModel;
  beforeAll(async () => {
    // Two figures from one builder so vega gives both the same internal clip ids.
    const spec = () => eigenvaluesByRank({ series: [{ name: 'ours', values: [3, 2, 1] }], rankOrder: 'descending' });
    const [a, b] = [await render(spec()), await render(spec())];
    model = {
      title: 'Reproduction of S18 & S16',
      run: { date: '2025-01-01T00:00:00Z', preset: 'quick', machine: 'box <1>', wallSeconds: 3725 },
      verdicts: [
        { claim: 1, text: 'Bulk near zero', verdict: 'reproduced', ours: '83%', paper: '79%', rule: '≥ 70%', section: 'e1', evidence: 'E1: paper’s setting → reproduced' },
        { claim: 3, text: 'Outliers = k or k−1', verdict: 'partly', ours: '2, 5, 9', paper: '2, 5, 10', rule: '±1 of k' },
        { claim: 6, text: 'Negatives constant', verdict: 'not', ours: '3%', paper: '1.1%', rule: '×2' },
        { claim: 9, text: 'No barrier <script>alert(1)</script>', verdict: 'not run', ours: '—', paper: 'flat', rule: 'monotone' },
      ],
      experiments: [
        {
          id: 'e1',
          title: 'E1 — init vs end',
          settings: [{ key: 'M', value: 5510 }, { key: 'lr', value: 0.05 }],
          figures: [
            { id: 'e1-a', title: 'Spectrum', svg: a, caption: 'ours "vs" S18' },
            { id: 'e1-b', title: 'Again', svg: b, caption: 'c' },
          ],
          tables: [{ caption: 'numbers', columns: ['quantity', 'ours'], rows: [['λmax', 0.0134443], ['tiny', 2.5e-7], ['n/a', null]] }],
          timings: [{ label: 'Hessian', seconds: 12.34 }],
          notes: ['CIFAR-10 unavailable offline: run on MNIST'],
        },
      ],
    };
  });

  test('a self-contained page: figures, verdict rows, tables, notes; no scripts, no remote resources', () => {
    const html = buildReportHtml(model);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    for (const f of model.experiments[0].figures) {
      expect(html).toContain(f.svg.replace(/(id="|url\(#)/g, `$1${f.id}-`)); // the SVG, its ids namespaced
    }
    expect(count(html, '<svg')).toBe(2);
    const rows = [...html.matchAll(/<tr class="v-([a-z-]+)"><td>(\d+)<\/td>/g)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual([['reproduced', '1'], ['partly', '3'], ['not', '6'], ['not-run', '9']]);
    expect(html).toContain('<td>6</td><td>Negatives constant</td><td>not reproduced</td>');
    expect(html).toContain('<td>E1: paper’s setting → reproduced</td>');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('No barrier &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('box &lt;1&gt;');
    expect(html).toContain('ours &quot;vs&quot; S18');
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<(link|img|iframe|object)\b|@import|url\((?!#)/i);
    expect(html).toContain('<a href="#e1">Bulk near zero</a>');
    expect(html).toContain('1 h 02 min');
    expect(html).toContain('<td class="num">0.01344</td>');
    expect(html).toContain('<td class="num">2.5e-7</td>');
    expect(html).toContain('CIFAR-10 unavailable offline: run on MNIST');
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(3);
    expect(new Set(ids).size).toBe(ids.length); // clip paths of the two figures no longer collide
  });

  test('rejects unsafe SVG, duplicate ids, unknown verdicts and dangling links', () => {
    const fig = model.experiments[0].figures[0];
    const withFigure = (svg: string) => ({ ...model, experiments: [{ ...model.experiments[0], figures: [{ ...fig, svg }] }] });
    expect(() => buildReportHtml(withFigure('<svg><script>x()</script></svg>'))).toThrow(/figures\[0\]\.svg must be an SVG without scripts/);
    expect(() => buildReportHtml(withFigure('<svg><image href="https://x/y.png"/></svg>'))).toThrow(RangeError);
    expect(() => buildReportHtml(withFigure('<div></div>'))).toThrow(/<svg>/);
    const dup = { ...model, experiments: [{ ...model.experiments[0], figures: [fig, { ...fig }] }] };
    expect(() => buildReportHtml(dup)).toThrow(/figures\[1\]\.id must be unique/);
    expect(() => buildReportHtml({ ...model, verdicts: [{ ...model.verdicts[0], verdict: 'yes' as never }] })).toThrow(/verdicts\[0\]\.verdict must be one of/);
    expect(() => buildReportHtml({ ...model, verdicts: [{ ...model.verdicts[0], section: 'e9' }] })).toThrow(/verdicts\[0\]\.section/);
    expect(() => buildReportHtml({ ...model, run: { ...model.run, wallSeconds: NaN } })).toThrow(/wallSeconds/);
  });
});

/**
 * The verdicts of `reproduce`: their values, the ten checkable claims of PAPER.md, what the
 * paper shows for each, and the merge of several experiments' verdicts on one claim into the
 * report's single row. The rules that produce the verdicts are in ./rules; src/report only renders
 * what is defined here.
 */

export const VERDICTS = ['reproduced', 'partly', 'not', 'not run'] as const;
export type Verdict = (typeof VERDICTS)[number];
/** What a rule can return (a rule always ran when it grades). */
export type Grade = Exclude<Verdict, 'not run'>;

/** How a verdict reads in the report. */
export const VERDICT_LABELS: Record<Verdict, string> = { reproduced: 'reproduced', partly: 'partly', not: 'not reproduced', 'not run': 'not run' };

/**
 * Whether a rule's evidence is the paper's own setting (its data, model kind and quantity, at any
 * size) or a substitute for it (another data set or model, a toy version, half of the claim).
 */
export type Setting = 'paper' | 'substitute';

/** One checkable claim of the paper and what this run found. */
export interface ClaimVerdict {
  claim: number | string;
  text: string;
  verdict: Verdict;
  /** Our figure or number, e.g. "λ1 = 0.012; 10 outliers (fig e2-top)". */
  ours: string;
  paper: string;
  /** The rule that turned numbers into the verdict: its describe(). */
  rule: string;
  /** Id of the ExperimentSection holding the evidence; the summary row links to it. */
  section?: string;
  /** The rule's id in ./rules (RULES), to regrade stored evidence. */
  ruleId?: string;
  setting?: Setting;
  /** For substitute evidence: what stands in for the paper's setting. */
  substitute?: string;
  /** Merged rows: which experiment's evidence is the paper's setting and which a substitute, with each verdict. */
  evidence?: string;
}

/** The ten checkable claims, worded as in PAPER.md. */
export const CLAIMS: Record<number, string> = {
  1: 'End of training: ≥ ~80% of |λ| < 1e-4 and ~98% < 1e-3; at init far fewer.',
  2: 'Init: ~40% negative with |λ_min| ~ λ_max/2; end: |λ_min|/λ_max ≲ 1e-2.',
  3: 'Outliers = k or k−1 (Gaussian mixture, ReLU).',
  4: 'Less separable data → larger and more outliers.',
  5: 'Width sweep: λ1 within ~±15–25%, top-120 curves overlap, outlier count unchanged.',
  6: 'Fraction of negative eigenvalues roughly constant in width.',
  7: 'G is PSD with ≥ M − N(k−1) zeros; negative eigenvalues of H come from R and are small.',
  8: 'Large batch → about the same number of outliers, several times larger.',
  9: 'No barrier on the LB→SB straight line; steep rise beyond the LB end.',
  10: 'Logistic regression: H = G, Marčenko–Pastur bulk.',
};
export const CLAIM_NUMBERS = Object.keys(CLAIMS).map(Number);

/** Where the paper shows each claim (for the summary table's "paper" column when nothing ran). */
export const PAPER_EVIDENCE: Record<number, string> = {
  1: 'S18 Fig. 1: end 79% < 1e-4, 98% < 1e-3; init 3%, 28%',
  2: 'S18 Fig. 1: init 39.5% negative, λ ∈ [−0.084, 0.176]; end λ ∈ [−2.2e-5, 0.0134]',
  3: 'S18 Fig. 2: 2, 5, 10, 19, 49 outliers for k = 2…50; Table 1',
  4: 'S18 Table 1: covariance ×10 raises the mean eigenvalue 2.5–10×',
  5: 'S18 Fig. 3: λ1 0.098 → 0.074 over h = 10…70',
  6: 'S18 Fig. 5: ≈1.1% negative for every width',
  7: 'S18 §2: G PSD of rank ≤ N(k−1); Fig. 5 negatives ≈1000× below λ1',
  8: 'S18 Fig. 4: λ1 21.3 (LB) vs 5.3 (SB), ~9 outliers each',
  9: 'S18 Fig. 8: train loss 0.0072 → 0.0006 on α ∈ [0, 1], no barrier',
  10: 'S18 App. B: H = G for linear models, Marčenko–Pastur bulk',
};

/** Several verdicts as one: their common value if they agree, else 'partly'. */
function agree(vs: Verdict[]): Verdict {
  return new Set(vs).size === 1 ? vs[0] : 'partly';
}

/**
 * One row per claim. Verdicts resting on the paper's setting decide the row (all agree → that
 * verdict, else partly); a substitute that says "not" turns a "reproduced" row into "partly".
 * Without any paper-setting verdict, the substitutes decide the same way (each is already at most
 * "partly" unless its rule states why it is equivalent). No verdict at all → "not run".
 */
export const MERGE_RULE =
  'One row per claim: the verdicts on the paper’s setting decide it (all agree → that verdict, else partly), and a substitute saying “not reproduced” lowers a reproduced row to partly; with no paper-setting evidence the substitutes decide the same way (a substitute grades at most partly unless its rule says why it is equivalent); no evidence → not run. The Evidence column names, per experiment, which is the paper’s setting and which a substitute.';

export function mergeVerdicts(verdicts: ClaimVerdict[]): ClaimVerdict[] {
  return CLAIM_NUMBERS.map((n) => {
    const mine = verdicts.filter((v) => Number(v.claim) === n);
    if (mine.length === 0) {
      return { claim: n, text: CLAIMS[n], verdict: 'not run', ours: 'no experiment speaking to this claim was run', paper: PAPER_EVIDENCE[n], rule: '—', evidence: 'none' };
    }
    const full = mine.filter((v) => v.setting !== 'substitute');
    const subs = mine.filter((v) => v.setting === 'substitute');
    let verdict: Verdict = agree((full.length ? full : subs).map((v) => v.verdict));
    if (full.length && verdict === 'reproduced' && subs.some((v) => v.verdict === 'not')) verdict = 'partly';
    const label = (v: ClaimVerdict, s: string) => (mine.length === 1 ? s : `${v.section ?? '?'}: ${s}`);
    const unique = (xs: string[]) => [...new Set(xs)];
    return {
      claim: n,
      text: CLAIMS[n],
      verdict,
      ours: mine.map((v) => label(v, v.ours)).join(' | '),
      paper: unique(mine.map((v) => v.paper)).join(' | '),
      rule: mine.length === 1 ? mine[0].rule : mine.map((v) => label(v, v.rule)).join(' | '),
      section: (full[0] ?? mine[0]).section,
      evidence: mine.map((v) => `${v.section ?? '?'}: ${settingText(v)} → ${VERDICT_LABELS[v.verdict]}`).join('; '),
    };
  });
}

/** "paper's setting" or "substitute (what stands in)". */
export function settingText(v: Pick<ClaimVerdict, 'setting' | 'substitute'>): string {
  return v.setting === 'substitute' ? `substitute (${v.substitute ?? 'unstated'})` : 'paper’s setting';
}

/**
 * A verdict rule as an object: `grade(evidence)` and `describe()` read the same constants, so the
 * text the report prints is the rule that graded. Each rule states whether its evidence is the
 * paper's own setting or a substitute; a substitute grades at most "partly" unless the rule says
 * why it is equivalent (`equivalence`). Evidence is a small JSON-able object of numbers, stored in
 * the experiment's results so a verdict can be regraded from results.json alone.
 */
import { CLAIMS, ClaimVerdict, Grade, Setting } from '../claims';

export interface RuleSpec<E> {
  /** Unique id, "<experiment>.<claim>" (e.g. "E4.claim8"). */
  id: string;
  /** 1–10 (PAPER.md's checkable claims) or an S16 statement id ("S16-P2"). */
  claim: number | string;
  /** The claim's wording; defaults to CLAIMS[claim]. */
  claimText?: string;
  /** The experiment whose page holds the evidence. */
  section: string;
  setting: Setting;
  /** For substitutes: what stands in for the paper's setting. */
  substitute?: string;
  /** For substitutes: why they are equivalent to the paper's setting (then they may grade "reproduced"). */
  equivalence?: string;
  /** The thresholds in words, built from the constants `check` reads. */
  thresholds(): string;
  /** The grade before the substitute cap. */
  check(evidence: E): Grade;
}

export interface Rule<E> {
  readonly id: string;
  readonly claim: number | string;
  readonly text: string;
  readonly section: string;
  readonly setting: Setting;
  readonly substitute?: string;
  readonly equivalence?: string;
  /** check(), capped at "partly" for a substitute without a stated equivalence. */
  grade(evidence: E): Grade;
  /** The rule as the report prints it. */
  describe(): string;
  /** The report's entry: the grade, our numbers and the paper's, and describe(). */
  verdict(evidence: E, ours: string, paper: string): ClaimVerdict;
}

export function defineRule<E>(spec: RuleSpec<E>): Rule<E> {
  const capped = spec.setting === 'substitute' && !spec.equivalence;
  const text = spec.claimText ?? CLAIMS[Number(spec.claim)];
  if (text === undefined) throw new Error(`rule ${spec.id}: no claim text for ${spec.claim}`);
  const rule: Rule<E> = {
    id: spec.id,
    claim: spec.claim,
    text,
    section: spec.section,
    setting: spec.setting,
    substitute: spec.substitute,
    equivalence: spec.equivalence,
    grade(e) {
      const g = spec.check(e);
      return capped && g === 'reproduced' ? 'partly' : g;
    },
    describe() {
      const base = spec.thresholds();
      if (spec.setting === 'paper') return base;
      return `${base}. Evidence: a substitute for the paper’s setting (${spec.substitute}); ` +
        (capped ? 'so it grades at most partly' : `taken as equivalent because ${spec.equivalence}`);
    },
    verdict(e, ours, paper) {
      return {
        claim: spec.claim, text, verdict: rule.grade(e), ours, paper, rule: rule.describe(), section: spec.section,
        ruleId: spec.id, setting: spec.setting, ...(spec.substitute ? { substitute: spec.substitute } : {}),
      };
    },
  };
  return rule;
}

/** All pass → reproduced, none → not, some → partly. */
export function allSomeNone(checks: boolean[]): Grade {
  const n = checks.filter(Boolean).length;
  return n === checks.length ? 'reproduced' : n === 0 ? 'not' : 'partly';
}

/** Percent for rule texts: 0.75 → "75%". */
export function pctText(x: number): string {
  return `${Number((100 * x).toPrecision(3))}%`;
}

/** Numbers for rule texts: small thresholds as powers of ten (1e-4), others as written. */
export function num(x: number): string {
  return x !== 0 && Math.abs(x) < 1e-2 ? x.toExponential().replace(/\.0+e/, 'e') : String(x);
}

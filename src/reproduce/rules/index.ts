/**
 * Every verdict rule of `reproduce`, by id. Each has grade(evidence) and describe() over the same
 * constants, and states whether its evidence is the paper's setting or a substitute (./rule.ts).
 * Experiments store each rule's evidence under results.evidence[rule.id], so a stored verdict can
 * be regraded from results.json.
 */
import type { Rule } from './rule';
import { claim1, claim2, claim2EndOnly, claim7 } from './bulk';
import { claim3, claim4, claim5, claim6 } from './outliers';
import { claim8 } from './batch';
import { claim9, p6 } from './line';
import { claim10 } from './logistic';
import { p2, p3, p4, p5 } from './s16';

export const RULES: Record<string, Rule<never>> = Object.fromEntries(
  [claim1, claim2, claim2EndOnly, claim3, claim4, claim5, claim6, claim7, claim8, claim9, claim10, p2, p3, p4, p5, p6].map((r) => [r.id, r as Rule<never>]),
);

export { allSomeNone, defineRule } from './rule';
export type { Rule, RuleSpec } from './rule';
export * from './measures';
export * from './stats';
export * from './bulk';
export * from './outliers';
export * from './batch';
export * from './line';
export * from './logistic';
export * from './s16';

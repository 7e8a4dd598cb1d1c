import { configErrorFrom } from "./config-error.js";
import type { FieldProblem } from "./issues.js";
import type { KeyConfig, MultisigPolicyConfig, PrincipalConfig } from "./types.js";

/** What the cross-reference checks look at. */
export interface References {
  readonly keys: readonly KeyConfig[];
  readonly defaultKid: string | undefined;
  readonly auditKid: string | undefined;
  readonly logKid: string | undefined;
  readonly principals: readonly PrincipalConfig[];
  readonly policies: readonly MultisigPolicyConfig[];
}

const F = "SIGNER_CONFIG";

/**
 * Check everything that names another thing: kids unique, and every kid a principal, policy or
 * default names is configured. A dangling kid would otherwise surface as a 404 at run time.
 */
export function checkReferences(refs: References): void {
  const problems: FieldProblem[] = [];
  const kids = new Map<string, KeyConfig>();
  for (const key of refs.keys) {
    const first = kids.get(key.kid);
    if (first)
      problems.push({ field: fieldOf(key), detail: `duplicate kid "${key.kid}" (also ${first.source})` });
    else kids.set(key.kid, key);
  }
  const known = (kid: string): boolean => kids.has(kid);
  for (const name of ["defaultKid", "auditKid", "logKid"] as const) {
    const kid = refs[name];
    if (kid !== undefined && !known(kid)) problems.push({ field: `${F} ${name}`, detail: unknownKid(kid) });
  }
  problems.push(...principalProblems(refs.principals, known), ...policyProblems(refs.policies, known));
  if (problems.length > 0) throw configErrorFrom(problems);
}

function principalProblems(
  principals: readonly PrincipalConfig[],
  known: (kid: string) => boolean,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const ids = new Map<string, number>();
  const matches = new Map<string, number>();
  principals.forEach((p, i) => {
    const at = `${F} principals[${i}]`;
    const sameId = ids.get(p.id);
    if (sameId !== undefined)
      problems.push({ field: `${at}.id`, detail: `duplicate id (also principals[${sameId}])` });
    else ids.set(p.id, i);
    // Two principals for one identity would make the mapping depend on file order.
    const [kind, value] = p.match.cn !== undefined ? ["cn", p.match.cn] : ["san_uri", p.match.san_uri ?? ""];
    const sameMatch = matches.get(`${kind}\0${value}`);
    if (sameMatch !== undefined) {
      problems.push({ field: `${at}.match.${kind}`, detail: `already matched by principals[${sameMatch}]` });
    } else matches.set(`${kind}\0${value}`, i);
    p.keys.forEach((kid, k) => {
      if (!known(kid)) problems.push({ field: `${at}.keys[${k}]`, detail: unknownKid(kid) });
    });
  });
  return problems;
}

function policyProblems(
  policies: readonly MultisigPolicyConfig[],
  known: (kid: string) => boolean,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const ids = new Map<string, number>();
  policies.forEach((policy, i) => {
    const at = `${F} multisig.policies[${i}]`;
    const sameId = ids.get(policy.id);
    if (sameId !== undefined)
      problems.push({ field: `${at}.id`, detail: `duplicate id (also policies[${sameId}])` });
    else ids.set(policy.id, i);
    const seen = new Set<string>();
    policy.signers.forEach((kid, k) => {
      // A repeated signer would let one key count twice toward the threshold.
      if (seen.has(kid)) problems.push({ field: `${at}.signers[${k}]`, detail: `duplicate signer "${kid}"` });
      seen.add(kid);
      if (!known(kid)) problems.push({ field: `${at}.signers[${k}]`, detail: unknownKid(kid) });
    });
    if (policy.threshold > policy.signers.length) {
      problems.push({
        field: `${at}.threshold`,
        detail: `expected an integer from 1 to ${policy.signers.length} (the number of signers)`,
      });
    }
  });
  return problems;
}

function unknownKid(kid: string): string {
  return `kid "${kid}" is not a configured key`;
}

function fieldOf(key: KeyConfig): string {
  return key.source.startsWith(F) ? `${key.source}.kid` : key.source;
}

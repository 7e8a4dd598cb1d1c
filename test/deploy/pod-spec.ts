import type { K8sObject } from "./manifests.js";

/** The fields of a container the deploy tests look at. */
export interface Container {
  readonly name: string;
  readonly image: string;
  readonly args?: string[];
  readonly command?: string[];
  readonly ports?: { name?: string; containerPort: number }[];
  readonly env?: { name: string; value?: string; valueFrom?: unknown }[];
  readonly livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readonly readinessProbe?: { httpGet?: { path: string; port: string | number } };
  readonly startupProbe?: { httpGet?: { path: string; port: string | number } };
  readonly resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readonly securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] } };
  readonly volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

/** The fields of a pod template the deploy tests look at. */
export interface PodTemplate {
  readonly metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  readonly spec: {
    readonly containers: Container[];
    readonly volumes?: ({ name: string } & Record<string, unknown>)[];
    readonly securityContext?: Record<string, unknown>;
    readonly shareProcessNamespace?: boolean;
    readonly automountServiceAccountToken?: boolean;
    readonly serviceAccountName?: string;
  };
}

/** The Deployment's pod template. */
export function podTemplate(deployment: K8sObject): PodTemplate {
  return (deployment.spec as { template: PodTemplate }).template;
}

/** A container of the pod by name; throws when absent. */
export function container(pod: PodTemplate, name: string): Container {
  const c = pod.spec.containers.find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name}`);
  return c;
}

/** The container's environment as name → value; `valueFrom` entries map to `pod`'s name. */
export function envOf(c: Container, podName = "signing-proxy-5d8f7c9b6-abcde"): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) env[e.name] = e.value ?? (e.valueFrom ? podName : "");
  return env;
}

/** Whether every label of `selector` is on `labels`. */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

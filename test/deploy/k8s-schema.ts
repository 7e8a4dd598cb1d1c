import { join } from "node:path";
import ts from "typescript";
import { ROOT } from "../helpers/cli.js";
import type { K8sObject } from "./manifests.js";

/** A kubernetes-models class: constructed from the object, `validate()` throws on a schema violation. */
type ModelClass = new (data: never) => { validate(): void };

/** apiVersion/kind → the kubernetes-models module, class and TypeScript interface for it. */
const MODELS: Readonly<Record<string, { module: string; name: string }>> = {
  "v1/ServiceAccount": { module: "kubernetes-models/v1/ServiceAccount", name: "ServiceAccount" },
  "v1/ConfigMap": { module: "kubernetes-models/v1/ConfigMap", name: "ConfigMap" },
  "v1/Service": { module: "kubernetes-models/v1/Service", name: "Service" },
  "v1/Secret": { module: "kubernetes-models/v1/Secret", name: "Secret" },
  "apps/v1/Deployment": { module: "kubernetes-models/apps/v1/Deployment", name: "Deployment" },
  "policy/v1/PodDisruptionBudget": {
    module: "kubernetes-models/policy/v1/PodDisruptionBudget",
    name: "PodDisruptionBudget",
  },
  "autoscaling/v2/HorizontalPodAutoscaler": {
    module: "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler",
    name: "HorizontalPodAutoscaler",
  },
  "networking.k8s.io/v1/NetworkPolicy": {
    module: "kubernetes-models/networking.k8s.io/v1/NetworkPolicy",
    name: "NetworkPolicy",
  },
};

function modelOf(o: K8sObject): { module: string; name: string } {
  const model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!model)
    throw new Error(`no schema for ${o.apiVersion} ${o.kind} (add it to test/deploy/k8s-schema.ts)`);
  return model;
}

/**
 * Validate `o` against the Kubernetes OpenAPI schema (kubernetes-models' generated validators:
 * types, formats, required fields, enums). Throws with the JSON path of the first violation.
 */
export async function validateSchema(o: K8sObject): Promise<void> {
  const { module, name } = modelOf(o);
  const mod = (await import(module)) as Record<string, ModelClass>;
  const Model = mod[name];
  if (!Model) throw new Error(`${module} has no ${name}`);
  new Model(o as never).validate();
}

/**
 * The OpenAPI validators accept unknown fields (so would the API server, silently dropping them:
 * a misspelt `readOnlyRootFileSystem` would switch the protection off). Type-check every object as
 * an object literal of its kubernetes-models interface instead: TypeScript's excess-property check
 * rejects any field the API does not define, at any depth. Returns the compiler's messages.
 */
export function unknownFieldErrors(objects: readonly K8sObject[]): string[] {
  const file = join(ROOT, "test/deploy/__manifests__.ts");
  const lines: string[] = [];
  objects.forEach((o, i) => {
    const { module, name } = modelOf(o);
    lines.push(`import type { I${name} as T${i} } from "${module}";`);
  });
  objects.forEach((o, i) => {
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(o)};`);
  });
  const source = lines.join("\n");
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const sf = program.getSourceFile(file);
  return ts.getPreEmitDiagnostics(program, sf).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (d.file && d.start !== undefined) {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const index = line - objects.length;
      const o = objects[index];
      return `${o ? `${o.kind}/${o.metadata.name}` : `line ${line + 1}`}: ${text}`;
    }
    return text;
  });
}

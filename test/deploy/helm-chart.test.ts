import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { unknownFieldErrors, validateSchema } from "./k8s-schema.js";
import { type ExampleName, type K8sObject, loadExample, only } from "./manifests.js";
import { container, podTemplate, selects } from "./pod-spec.js";

const NAMES: readonly ExampleName[] = ["default", "production"];

test("no rendered manifest carries a field the Kubernetes API does not define", () => {
  // One compiler run for both examples: building the program dominates the cost.
  assert.deepEqual(unknownFieldErrors([...loadExample("default"), ...loadExample("production")]), []);
});

for (const name of NAMES) {
  describe(`Helm chart rendered with ${name} values (deploy/examples/${name}.yaml)`, () => {
    const objects = loadExample(name);
    const deployment = only(objects, "Deployment");
    const pod = podTemplate(deployment);
    const signer = container(pod, "signer");

    test("every manifest validates against the Kubernetes schemas", async () => {
      const kinds = objects.map((o) => o.kind).sort();
      for (const kind of ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "NetworkPolicy"]) {
        assert.ok(kinds.includes(kind), `${kind} rendered`);
      }
      for (const kind of ["PodDisruptionBudget", "Service", "ServiceAccount"])
        assert.ok(kinds.includes(kind));
      for (const o of objects) await validateSchema(o);
    });

    test("three replicas at least: HPA floor, PDB below it, rollouts never drop one", () => {
      const hpa = only(objects, "HorizontalPodAutoscaler").spec as {
        minReplicas: number;
        maxReplicas: number;
        scaleTargetRef: { kind: string; name: string };
      };
      const replicas = (deployment.spec as { replicas?: number }).replicas;
      // With an HPA the Deployment leaves replicas to it; the HPA's floor is the replica count.
      assert.equal(replicas, undefined);
      assert.ok(hpa.minReplicas >= 3 && hpa.maxReplicas >= hpa.minReplicas);
      assert.deepEqual(hpa.scaleTargetRef, {
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: deployment.metadata.name,
      });
      const pdb = only(objects, "PodDisruptionBudget").spec as {
        minAvailable: number;
        selector: { matchLabels: Record<string, string> };
      };
      assert.ok(pdb.minAvailable >= 2 && pdb.minAvailable < hpa.minReplicas);
      assert.ok(selects(pdb.selector.matchLabels, pod.metadata.labels));
      const strategy = (deployment.spec as { strategy: { rollingUpdate: { maxUnavailable: number } } })
        .strategy;
      assert.equal(strategy.rollingUpdate.maxUnavailable, 0);
    });

    test("probes: liveness /healthz and readiness /readyz on the management port", () => {
      const ports = Object.fromEntries((signer.ports ?? []).map((p) => [p.name, p.containerPort]));
      assert.deepEqual(ports, { https: 8081, management: 9090 });
      assert.deepEqual(signer.livenessProbe?.httpGet, { path: "/healthz", port: "management" });
      assert.deepEqual(signer.readinessProbe?.httpGet, { path: "/readyz", port: "management" });
      assert.deepEqual(signer.startupProbe?.httpGet, { path: "/healthz", port: "management" });
      assert.deepEqual(signer.args, ["serve"]);
    });

    test("pods run non-root, without privilege escalation or capabilities, on a read-only root", () => {
      const podSc = pod.spec.securityContext ?? {};
      assert.equal(podSc.runAsNonRoot, true);
      assert.ok(typeof podSc.runAsUser === "number" && podSc.runAsUser > 0);
      assert.deepEqual(podSc.seccompProfile, { type: "RuntimeDefault" });
      for (const c of pod.spec.containers) {
        const sc = c.securityContext ?? {};
        assert.equal(sc.allowPrivilegeEscalation, false, c.name);
        assert.equal(sc.readOnlyRootFilesystem, true, c.name);
        assert.equal(sc.runAsNonRoot, true, c.name);
        assert.notEqual(sc.privileged, true, c.name);
        assert.deepEqual(sc.capabilities?.drop, ["ALL"], c.name);
        assert.equal(sc.capabilities && "add" in sc.capabilities, false, c.name);
        assert.ok(c.resources?.requests?.memory && c.resources.limits?.memory, `${c.name} has memory bounds`);
        // Only the data volume and /tmp are writable; code, config, TLS and secrets are read-only.
        for (const m of c.volumeMounts ?? []) {
          if (m.name !== "data" && m.name !== "tmp") assert.equal(m.readOnly, true, `${c.name}: ${m.name}`);
        }
      }
    });

    test("TLS files are mounted from Secrets and a reloader sends SIGHUP when they change", () => {
      const tlsVolume = pod.spec.volumes?.find((v) => v.name === "tls") as {
        secret?: { defaultMode: number };
      };
      assert.ok(tlsVolume?.secret, "TLS comes from a Secret");
      // Key material readable by the pod's group only: 0440, never world-readable.
      assert.equal(tlsVolume.secret.defaultMode, 0o440);
      assert.equal(pod.spec.shareProcessNamespace, true);
      const reloader = container(pod, "tls-reloader");
      assert.deepEqual(reloader.command, ["node", "/app/deploy/cert-reloader.mjs"]);
      const args = reloader.args ?? [];
      assert.equal(args[args.indexOf("--process") + 1], "signer.mjs serve");
      const watched = args.filter((_, i) => args[i - 1] === "--watch");
      const tlsMounts = (signer.volumeMounts ?? []).filter((m) => m.mountPath.startsWith("/etc/signer/"));
      for (const m of tlsMounts.filter((x) => x.name !== "config")) {
        assert.ok(watched.includes(m.mountPath), `${m.mountPath} is watched`);
      }
    });

    test("the Service exposes the mTLS and management ports of the selected pods", () => {
      const services = objects.filter((o) => o.kind === "Service");
      const main = services.find((s) => s.metadata.name === deployment.metadata.name) as K8sObject;
      const spec = main.spec as {
        selector: Record<string, string>;
        ports: { port: number; targetPort: string }[];
      };
      assert.ok(selects(spec.selector, pod.metadata.labels));
      assert.deepEqual(
        spec.ports.map((p) => [p.port, p.targetPort]),
        [
          [8081, "https"],
          [9090, "management"],
        ],
      );
      // The management-only Service keeps /keys and JWKS reachable while pods are unready.
      const mgmt = only(objects, "Service", "-management").spec as { publishNotReadyAddresses: boolean };
      assert.equal(mgmt.publishNotReadyAddresses, true);
    });

    test("the service account token is mounted only for the Vault agent", () => {
      const sa = only(objects, "ServiceAccount") as K8sObject & { automountServiceAccountToken: boolean };
      assert.equal(sa.automountServiceAccountToken, false);
      const vault = pod.metadata.annotations?.["vault.hashicorp.com/agent-inject"] === "true";
      assert.equal(pod.spec.automountServiceAccountToken, vault);
      assert.equal(pod.spec.serviceAccountName, sa.metadata.name);
    });
  });
}

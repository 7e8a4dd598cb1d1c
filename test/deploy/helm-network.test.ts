import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ExampleName, loadExample, only } from "./manifests.js";
import { podTemplate, selects } from "./pod-spec.js";

interface Peer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: { cidr: string };
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { protocol: string; port: number }[];
}
interface PolicySpec {
  podSelector: { matchLabels: Record<string, string> };
  policyTypes: string[];
  ingress: Rule[];
  egress: Rule[];
}

const portsOf = (rule: Rule) => (rule.ports ?? []).map((p) => `${p.protocol}/${p.port}`).sort();

for (const name of ["default", "production"] as const satisfies readonly ExampleName[]) {
  describe(`NetworkPolicy rendered with ${name} values`, () => {
    const objects = loadExample(name);
    const pod = podTemplate(only(objects, "Deployment"));
    const policy = only(objects, "NetworkPolicy").spec as PolicySpec;

    test("selects the signer pods and denies both directions except the listed rules", () => {
      assert.ok(selects(policy.podSelector.matchLabels, pod.metadata.labels));
      assert.deepEqual([...policy.policyTypes].sort(), ["Egress", "Ingress"]);
      // A rule without peers or ports would allow everything: every rule names both.
      for (const rule of [...policy.ingress, ...policy.egress]) {
        const peers = rule.from ?? rule.to ?? [];
        assert.ok(peers.length > 0, `rule has peers: ${JSON.stringify(rule)}`);
        assert.ok((rule.ports ?? []).length > 0, `rule has ports: ${JSON.stringify(rule)}`);
      }
    });

    test("ingress: labelled callers reach only 8081, the monitoring namespace only 9090", () => {
      assert.equal(policy.ingress.length, 2);
      const [callers, monitoring] = policy.ingress as [Rule, Rule];
      assert.deepEqual(portsOf(callers), ["TCP/8081"]);
      const caller = callers.from?.[0];
      assert.deepEqual(caller?.podSelector?.matchLabels, { "signing-proxy.memory-layer/client": "true" });
      assert.deepEqual(portsOf(monitoring), ["TCP/9090"]);
      assert.deepEqual(monitoring.from, [
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
      ]);
    });

    test("egress: only DNS, PostgreSQL, KMS, the HSM and (with Vault) Vault", () => {
      const byPorts = policy.egress.map(portsOf).map((p) => p.join(","));
      const expected = ["TCP/53,UDP/53", "TCP/5432", "TCP/443"];
      if (name === "production") expected.push("TCP/1792", "TCP/8200");
      assert.deepEqual(byPorts, expected);
      const dns = policy.egress[0]?.to?.[0];
      assert.deepEqual(dns?.namespaceSelector?.matchLabels, { "kubernetes.io/metadata.name": "kube-system" });
      assert.deepEqual(dns?.podSelector?.matchLabels, { "k8s-app": "kube-dns" });
      if (name === "production") {
        // Production pins peers to address ranges, never to the whole cluster or the internet.
        for (const rule of policy.egress.slice(1, 4)) {
          for (const peer of rule.to ?? []) {
            assert.ok(peer.ipBlock, `${JSON.stringify(peer)} is an ipBlock`);
            assert.notEqual(peer.ipBlock.cidr, "0.0.0.0/0");
          }
        }
      }
    });
  });
}

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { loadConfig } from "../../signer/src/config/config.js";
import { at, CHART_DIR, type ExampleName, loadExample, only } from "./manifests.js";
import { container, envOf, podTemplate } from "./pod-spec.js";

const SECRET_ENV = /DATABASE_URL|API_KEY|SECRET|PASSWORD|TOKEN|PIN|PRIVATE_KEY|SIGNING_KEY/;

for (const name of ["default", "production"] as const satisfies readonly ExampleName[]) {
  describe(`signer configuration rendered with ${name} values`, () => {
    const objects = loadExample(name);
    const pod = podTemplate(only(objects, "Deployment"));
    const env = envOf(container(pod, "signer"));
    const configMap = only(objects, "ConfigMap", "-config") as { data?: Record<string, string> };
    const signerConfig = configMap.data?.["signer-config.json"] ?? "";

    test("the signer accepts the rendered environment and SIGNER_CONFIG in strict mode", () => {
      assert.equal(env.SIGNER_CONFIG, "/etc/signer/config/signer-config.json");
      const mounts = container(pod, "signer").volumeMounts ?? [];
      assert.ok(mounts.some((m) => m.name === "config" && m.mountPath === "/etc/signer/config"));
      // The pod's files, as the mounts provide them: the ConfigMap and (placeholder) secret files.
      const files: Record<string, string> = { [env.SIGNER_CONFIG]: signerConfig };
      for (const [key, value] of Object.entries(env)) {
        if (value.startsWith("file:")) files[value.slice("file:".length)] = secretPlaceholder(key);
      }
      const config = loadConfig(env, {
        readFile: (path) => {
          const text = files[path];
          if (text === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: "ENOENT" });
          return text;
        },
        // Strict mode insists the TLS files exist: they are the mounted Secret's keys.
        isReadableFile: (path) => path.startsWith("/etc/signer/"),
        cwd: "/app",
      });
      assert.equal(config.strict, true, "NODE_ENV=production: strict mode");
      assert.equal(config.port, 8081);
      assert.equal(config.managementPort, 9090);
      assert.equal(config.dataDir, "/var/lib/signer");
      assert.ok(config.databaseUrl, "PostgreSQL: replicas share one audit chain");
      assert.ok(config.keys.length >= 2 && config.auditKid !== undefined && config.defaultKid !== undefined);
      assert.ok(
        config.keys.every((k) => !k.uri.startsWith("softkey:")),
        "no software keys in a deployment",
      );
      assert.equal(config.signerId, "signing-proxy-5d8f7c9b6-abcde", "SIGNER_ID is the pod name");
    });

    test("secret values reach the signer only as file: references, never in the environment", () => {
      for (const [key, value] of Object.entries(env)) {
        if (SECRET_ENV.test(key)) assert.match(value, /^file:\//, `${key} must be a file: reference`);
      }
      const dir = name === "production" ? "/vault/secrets" : "/run/secrets/signer";
      assert.equal(env.DATABASE_URL, `file:${dir}/database-url`);
      const annotations = pod.metadata.annotations ?? {};
      if (name === "production") {
        assert.equal(annotations["vault.hashicorp.com/agent-inject"], "true");
        const paths = Object.entries(annotations).filter(([k]) =>
          k.startsWith("vault.hashicorp.com/agent-inject-secret-"),
        );
        assert.ok(paths.length >= 2);
        for (const [, path] of paths)
          assert.match(path, /^memory-layer\//, "seed names live under memory-layer/");
        // The template renders the one field, so the file holds exactly the value.
        assert.equal(
          annotations["vault.hashicorp.com/agent-inject-template-database-url"],
          '{{- with secret "memory-layer/data/signing-proxy/database" -}}{{ .Data.data.url }}{{- end -}}',
        );
        assert.ok(!pod.spec.volumes?.some((v) => v.name === "secrets"));
        assert.match(signerConfig, /pin-source=file:\/vault\/secrets\/hsm-pin/);
      } else {
        const volume = pod.spec.volumes?.find((v) => v.name === "secrets") as {
          secret?: { defaultMode: number };
        };
        assert.equal(volume?.secret?.defaultMode, 0o440);
        assert.equal(annotations["vault.hashicorp.com/agent-inject"], undefined);
      }
    });
  });
}

function secretPlaceholder(envName: string): string {
  return envName === "DATABASE_URL" ? "postgres://signer:placeholder@postgresql:5432/signer" : "x".repeat(40);
}

describe("chart values", () => {
  const values: unknown = parse(readFileSync(join(CHART_DIR, "values.yaml"), "utf8"));
  const templates = readdirSync(join(CHART_DIR, "templates")).map((f) =>
    readFileSync(join(CHART_DIR, "templates", f), "utf8"),
  );

  test("every .Values path a template reads is defined (and so documented) in values.yaml", () => {
    // A missing key renders as empty under Helm, silently: catch template typos here.
    const paths = new Set(
      templates.flatMap((t) => [...t.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)].map((m) => m[1]!)),
    );
    assert.ok(paths.size > 20);
    for (const path of paths)
      assert.notEqual(at(values, path), undefined, `.Values.${path} missing from values.yaml`);
  });

  test("every top-level value is introduced by a comment in values.yaml", () => {
    const lines = readFileSync(join(CHART_DIR, "values.yaml"), "utf8").split("\n");
    const undocumented = lines.filter(
      (line, i) => /^[A-Za-z]/.test(line) && !(lines[i - 1] ?? "").startsWith("#"),
    );
    assert.deepEqual(undocumented, []);
  });
});

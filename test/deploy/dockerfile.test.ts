import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ValidationSeverity, validate } from "dockerfile-utils";
import { ROOT } from "../helpers/cli.js";
import { DOCKERFILE, dockerignore, type Instruction, parseDockerfile } from "./dockerfile.js";

const stages = parseDockerfile();
const build = stages[0]!;
const runtime = stages.at(-1)!;
const all = (stage: typeof runtime, keyword: string): Instruction[] =>
  stage.instructions.filter((i) => i.keyword === keyword);
const last = (stage: typeof runtime, keyword: string) => all(stage, keyword).at(-1);

describe("deploy/Dockerfile", () => {
  test("passes the Dockerfile linter (dockerfile-utils, every rule as an error)", () => {
    const settings = Object.fromEntries(
      [
        "deprecatedMaintainer",
        "directiveCasing",
        "emptyContinuationLine",
        "instructionCasing",
        "instructionCmdMultiple",
        "instructionEntrypointMultiple",
        "instructionHealthcheckMultiple",
        "instructionJSONInSingleQuotes",
        "instructionWorkdirRelative",
      ].map((k) => [k, ValidationSeverity.ERROR]),
    );
    const problems = validate(readFileSync(DOCKERFILE, "utf8"), settings);
    assert.deepEqual(
      problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`),
      [],
    );
    // The linter does catch mistakes (a guard against a silently disabled check).
    assert.ok(validate("FROM node:20\nCOPY onlyone\nCMD a\nCMD b\n", settings).length >= 2);
  });

  test("multi-stage: full toolchain to build, a pinned slim image to run", () => {
    assert.equal(stages.length, 2);
    assert.equal(build.name, "build");
    assert.match(runtime.from, /^node:20\.\d+\.\d+-bookworm-slim$/, "runtime base is slim and pinned");
    for (const i of all(runtime, "COPY")) {
      if (i.flags.from !== undefined) assert.equal(i.flags.from, "build");
    }
    assert.equal(all(runtime, "ADD").length + all(build, "ADD").length, 0, "COPY, never ADD");
    const buildRuns = all(build, "RUN")
      .map((i) => i.raw)
      .join("\n");
    // npm 11 lock files omit other platforms' optional packages, so `npm ci` refuses them.
    assert.match(buildRuns, /npm install --no-audit --no-fund --ignore-scripts/);
    assert.match(buildRuns, /npm rebuild better-sqlite3 pkcs11js/);
    assert.match(buildRuns, /npm prune --omit=dev/, "only production dependencies reach the image");
    // npm install needs every workspace's manifest: a workspace added to package.json must be copied too.
    const { workspaces } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      workspaces: string[];
    };
    const installAt = build.instructions.findIndex(
      (i) => i.keyword === "RUN" && i.raw.includes("npm install"),
    );
    const copiedFirst = build.instructions
      .slice(0, installAt)
      .flatMap((i) => (i.keyword === "COPY" ? i.args : []));
    for (const ws of workspaces)
      assert.ok(copiedFirst.includes(`${ws}/package.json`), `${ws}/package.json copied`);
    for (const run of all(runtime, "RUN")) {
      if (run.raw.includes("apt-get install")) {
        assert.match(run.raw, /--no-install-recommends/);
        assert.match(run.raw, /rm -rf \/var\/lib\/apt\/lists/);
      }
    }
  });

  test("runs as a non-root uid, strict mode, data in a volume, health-checked on the management port", () => {
    const user = last(runtime, "USER")?.args[0] ?? "";
    assert.match(
      user,
      /^[1-9]\d*:[1-9]\d*$/,
      "numeric non-root uid:gid (Kubernetes runAsNonRoot can check it)",
    );
    const userIndex = runtime.instructions.indexOf(last(runtime, "USER")!);
    assert.ok(
      runtime.instructions.slice(userIndex).every((i) => i.keyword !== "RUN"),
      "nothing runs as root after USER",
    );
    const env = all(runtime, "ENV").flatMap((i) => i.args.filter((a) => a.includes("=")));
    const envMap = Object.fromEntries(env.map((kv) => kv.split("=", 2) as [string, string]));
    assert.equal(envMap.NODE_ENV, "production");
    assert.equal(envMap.PORT, "8081");
    assert.equal(envMap.MANAGEMENT_PORT, "9090");
    assert.deepEqual(last(runtime, "VOLUME")?.args, [envMap.SIGNER_DATA_DIR]);
    assert.deepEqual(last(runtime, "EXPOSE")?.args, ["8081", "9090"]);
    const health = last(runtime, "HEALTHCHECK");
    assert.ok(health);
    assert.match(health.raw, /CMD \["node", "\/app\/deploy\/healthcheck\.mjs"\]/);
    assert.deepEqual(last(runtime, "ENTRYPOINT")?.args, ["node", "/app/signer/bin/signer.mjs"]);
    assert.deepEqual(last(runtime, "CMD")?.args, ["serve"]);
  });

  test("the build context holds every file the Dockerfile copies, none excluded by its .dockerignore", () => {
    const ignored = dockerignore();
    for (const stage of stages) {
      for (const copy of all(stage, "COPY").filter((i) => i.flags.from === undefined)) {
        for (const source of copy.args.slice(0, -1)) {
          assert.ok(existsSync(join(ROOT, source)), `${source} exists in the context`);
          assert.ok(!ignored.some((re) => re.test(source.replace(/\/$/, ""))), `${source} is not ignored`);
        }
      }
    }
    // Secrets and local state never enter the context.
    for (const path of ["var/signer.db", "certs/ca.key", "node_modules/x", "signer/dist/app.js"]) {
      assert.ok(
        ignored.some((re) => re.test(path)),
        `${path} is ignored`,
      );
    }
  });
});

import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cleanEnv, ROOT, waitForOutput } from "../helpers/cli.js";
import { createSignerSetup, type SignerSetup } from "../helpers/process-fixture.js";
import { parseDockerfile } from "./dockerfile.js";

const stages = parseDockerfile();
const runtime = stages.at(-1)!;
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const EMIT_ONLY = ["--noCheck", "--declaration", "false", "--sourceMap", "false"];
const workdir = runtime.instructions.find((i) => i.keyword === "WORKDIR")?.args[0] ?? "/";

/**
 * Re-enacts the image without Docker: compiles the packages the way the build stage does (into a
 * scratch copy of /src), writes the OpenAPI document with deploy/write-openapi.mjs, then assembles
 * /app from exactly the runtime stage's COPY instructions and runs its ENTRYPOINT and HEALTHCHECK.
 * Dependencies come from the checkout's node_modules (the image's are `npm prune --omit=dev`).
 */
describe("image layout: the runtime stage's COPYs match the build output", () => {
  let scratch: string;
  let src: string;
  let app: string;
  before(() => {
    mkdirSync(join(ROOT, ".tmp"), { recursive: true });
    // Inside the checkout, so the compiled code resolves the checkout's node_modules.
    scratch = mkdtempSync(join(ROOT, ".tmp", "image-"));
    src = join(scratch, "src");
    app = join(scratch, "app");
    for (const pkg of ["signer", "client-sdk"]) {
      const tsc = spawnSync(
        process.execPath,
        // The build's emitter without its type check (npm run typecheck does that) or .d.ts files.
        [TSC, "-p", join(ROOT, pkg, "tsconfig.build.json"), "--outDir", join(src, pkg, "dist"), ...EMIT_ONLY],
        { cwd: ROOT, encoding: "utf8" },
      );
      assert.equal(tsc.status, 0, `${pkg} build: ${tsc.stdout}${tsc.stderr}`);
    }
    const openapi = spawnSync(
      process.execPath,
      [
        join(ROOT, "deploy/write-openapi.mjs"),
        "--dist",
        join(src, "signer/dist"),
        "--out",
        join(src, "signer/dist/openapi.json"),
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    assert.equal(openapi.status, 0, openapi.stderr);
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** Where a path of the build stage's /src lives here: compiled output in scratch, the rest in the checkout. */
  const buildPath = (path: string) => {
    const rel = path.replace(/^\/src\/?/, "");
    return /^(signer|client-sdk)\/dist(\/|$)/.test(rel) ? join(src, rel) : join(ROOT, rel);
  };
  const appPath = (path: string) => join(app, path.startsWith("/app") ? path.slice(4) : path);

  test("every COPY --from=build source exists after the build, and /app is assembled from them", () => {
    for (const copy of runtime.instructions.filter((i) => i.keyword === "COPY")) {
      const dest = copy.args.at(-1)!;
      for (const source of copy.args.slice(0, -1)) {
        const from = copy.flags.from === "build" ? buildPath(source) : join(ROOT, source);
        assert.ok(existsSync(from), `${source} exists in the ${copy.flags.from ?? "context"}`);
        const target = dest.endsWith("/")
          ? join(appPath(join(workdir, dest)), source.split("/").at(-1)!)
          : appPath(dest.startsWith("/") ? dest : join(workdir, dest));
        mkdirSync(dirname(target), { recursive: true });
        // node_modules: linked, not copied (the checkout's tree stands in for the pruned one).
        if (source.endsWith("node_modules")) symlinkSync(from, target);
        else cpSync(from, target, { recursive: true });
      }
    }
    assert.ok(existsSync(join(app, "signer/dist/cli/main.js")), "the bin script finds the compiled CLI");
  });

  test("the OpenAPI document is in the image, generated from the route schemas", () => {
    const doc = JSON.parse(readFileSync(join(app, "signer/dist/openapi.json"), "utf8")) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    assert.equal(doc.openapi, "3.1.0");
    for (const path of ["/sign/hash", "/sign/canonical", "/sign/batch", "/verify", "/keys"]) {
      assert.ok(doc.paths[path], `${path} documented`);
    }
  });

  describe("ENTRYPOINT and HEALTHCHECK from the assembled /app", () => {
    let setup: SignerSetup;
    let child: ChildProcess | undefined;
    const entrypoint = runtime.instructions.find((i) => i.keyword === "ENTRYPOINT")!.args;
    const health = JSON.parse(
      /CMD (\[.*\])/.exec(runtime.instructions.find((i) => i.keyword === "HEALTHCHECK")!.raw)![1]!,
    ) as string[];
    const run = (argv: readonly string[]) => argv.map((a) => (a.startsWith("/app/") ? appPath(a) : a));
    before(async () => {
      setup = await createSignerSetup();
    });
    after(async () => {
      child?.kill("SIGKILL");
      await setup.close();
    });

    test("the entrypoint serves from the compiled build; the health check follows the process", async () => {
      const [node, ...args] = run(entrypoint);
      assert.equal(node, "node");
      child = spawn(process.execPath, [...args, "serve"], {
        env: cleanEnv({ ...setup.env }),
        stdio: ["ignore", "pipe", "pipe"],
      });
      const out = await waitForOutput(child, /"signer ready"/);
      const management = /"management":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(out)?.[1];
      assert.ok(management, out);
      const check = () =>
        spawnSync(process.execPath, run(health).slice(1), {
          env: cleanEnv({ MANAGEMENT_PORT: management }),
          timeout: 10_000,
        }).status;
      assert.equal(check(), 0, "healthy while serving");
      const exited = new Promise((resolve) => child?.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      assert.equal(check(), 1, "unhealthy once stopped");
    });
  });
});

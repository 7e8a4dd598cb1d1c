import { Worker } from "node:worker_threads";

/**
 * Start a worker thread running the module `name` next to `base` (an `import.meta.url`): the `.js`
 * file in the compiled build, the `.ts` file from sources. From TypeScript sources (tests,
 * `npm start`) the worker registers tsx itself: node 20 workers do not inherit the main thread's
 * module hooks.
 */
export function spawnWorker(base: string, name: string, workerData: unknown): Worker {
  const ts = base.endsWith(".ts");
  const script = new URL(`./${name}${ts ? ".ts" : ".js"}`, base);
  if (!ts) return new Worker(script, { workerData });
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  return new Worker(
    `import(${tsx}).then((m) => { m.register(); return import(${JSON.stringify(script.href)}); });`,
    { eval: true, workerData },
  );
}

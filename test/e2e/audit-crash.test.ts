import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { verifyAuditChain } from "../../signer/src/audit/verify-chain.js";
import {
  AUDIT_KID,
  createPgSchema,
  createSignerSetup,
  type PgSchema,
  SIGN_KID,
  type SignerSetup,
  withPostgres,
} from "../helpers/process-fixture.js";
import {
  assertCliVerifies,
  assertEveryReceivedAudited,
  assertSignaturesValid,
  type LoadRun,
  type Received,
  startLoad,
} from "./audit-load.js";

const KILLS = 5;
const CLIENTS = 8;

/** Resolve once `load` holds more than `count` signatures (or after `timeoutMs`). */
async function receivedMoreThan(load: LoadRun, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (load.received.length <= count && Date.now() < deadline) await sleep(10);
}

/**
 * Load one `signer serve` with CLIENTS concurrent clients and SIGKILL it KILLS times at random
 * moments while it is serving (restarting on the same data each time), then stop it gracefully.
 */
async function killRepeatedly(setup: SignerSetup, log: (msg: string) => void): Promise<Received[]> {
  const agent = setup.agent();
  let proc = await setup.start();
  let target: { url: string; agent: typeof agent } | undefined = { url: proc.url, agent };
  const controller = new AbortController();
  const load = startLoad({
    target: () => target,
    clients: CLIENTS,
    signal: controller.signal,
    batchEvery: 6,
  });
  const delays: number[] = [];
  try {
    for (let k = 0; k <= KILLS; k++) {
      // Kill only a process that is signing, however slow the machine: wait for its first signatures.
      await receivedMoreThan(load, load.received.length + 20);
      if (k === KILLS) break;
      const delay = Math.floor(Math.random() * 400);
      delays.push(delay);
      await sleep(delay);
      // Clients keep sending while the process dies: requests are in flight at the kill.
      const exit = await proc.stop("SIGKILL");
      assert.equal(exit.signal, "SIGKILL");
      target = undefined;
      // Same data: the SQLite lock left by the killed pid must be taken over.
      proc = await setup.start();
      target = { url: proc.url, agent };
    }
  } finally {
    controller.abort();
  }
  await load.done;
  const { received, failures } = load;
  log(
    `kill delays ${delays.join(",")} ms; ${received.length} signatures; failures ${JSON.stringify([...failures])}`,
  );
  const exit = await proc.stop("SIGTERM");
  assert.equal(exit.code, 0, proc.output());
  // Only transport errors from the killed processes: never a 500, never a released-but-unaudited result.
  for (const reason of failures.keys()) assert.ok(!/^500:/.test(reason), `unexpected failure ${reason}`);
  return received;
}

async function assertLogHoldsEverything(setup: SignerSetup, received: Received[]): Promise<void> {
  const events = await setup.readEvents();
  const report = await verifyAuditChain(events, { keys: new Map([[AUDIT_KID, setup.keys.get(AUDIT_KID)!]]) });
  assert.deepEqual(report.firstBad, undefined, JSON.stringify(report.firstBad));
  assert.equal(report.ok, true);
  assert.ok(events.every((e) => e.auditKid === AUDIT_KID));
  // Each incarnation sealed its first event before serving.
  assert.equal(events.filter((e) => e.op === "service.start").length, KILLS + 1);
  assert.ok(received.length > 20 * (KILLS + 1), `only ${received.length} signatures received`);
  assertSignaturesValid(received, setup.keys.get(SIGN_KID)!.publicKeyPem);
  assertEveryReceivedAudited(events, received);

  assertCliVerifies(setup, report);
}

describe("SIGKILL during load (SQLite)", { timeout: 60_000 }, () => {
  let setup: SignerSetup | undefined;
  after(async () => setup?.close());

  test(`${KILLS} SIGKILLs: the chain verifies and every received signature is in the log`, async (t) => {
    setup = await createSignerSetup();
    const received = await killRepeatedly(setup, (m) => t.diagnostic(m));
    await assertLogHoldsEverything(setup, received);
  });
});

withPostgres("SIGKILL during load (PostgreSQL)", (pgUrl) => {
  describe("SIGKILL during load (PostgreSQL)", { timeout: 60_000 }, () => {
    let pgSchema: PgSchema | undefined;
    let setup: SignerSetup | undefined;
    after(async () => {
      await setup?.close();
      await pgSchema?.drop();
    });

    test(`${KILLS} SIGKILLs: the chain verifies and every received signature is in the log`, async (t) => {
      pgSchema = await createPgSchema(pgUrl);
      setup = await createSignerSetup({ databaseUrl: pgSchema.url });
      const received = await killRepeatedly(setup, (m) => t.diagnostic(m));
      await assertLogHoldsEverything(setup, received);
    });
  });
});

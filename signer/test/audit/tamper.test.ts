import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runSigner } from "../../../test/helpers/cli.js";
import { chainEvents } from "../../src/audit/event.js";
import type { VerifyChainReport } from "../../src/audit/verify-chain.js";
import type { AuditEvent } from "../../src/store/store.js";
import { ed25519Pair, sealWith } from "./chain-fixture.js";
import { runAudit } from "./cli-io.js";
import { type DbTarget, type TargetKind, targetKinds, withTarget } from "./db-targets.js";
import { input, sealedSeqs, softKey, writeAuditLog } from "./log-fixture.js";

const AUDIT_KID = "log-ed25519-v1";

/** A target holding a real, concurrently written log; the events as written. */
async function withLog(
  kind: TargetKind,
  fn: (t: DbTarget, events: AuditEvent[], seals: number[]) => Promise<void>,
): Promise<void> {
  await withTarget(kind, async (t) => {
    const events = await writeAuditLog(t.store, softKey(t.dir, AUDIT_KID), t.dir);
    const seals = sealedSeqs(events);
    // Several batches, so the tampering below can land between seals and on them.
    assert.ok(seals.length >= 4, `expected several sealed batches, got ${seals.length}`);
    await fn(t, events, seals);
  });
}

/** `signer audit verify --db …` in-process, as JSON, plus the human line. */
async function verifyDb(
  t: DbTarget,
  extra: string[] = [],
): Promise<{ code: number; report: VerifyChainReport; line: string }> {
  const json = await runAudit(["verify", "--db", "--json", ...extra], t.env);
  const human = await runAudit(["verify", "--db", ...extra], t.env);
  assert.equal(human.code, json.code, "human and JSON runs agree on the exit code");
  return { code: json.code, report: JSON.parse(json.stdout) as VerifyChainReport, line: human.stdout.trim() };
}

/** The log must fail with exit 1 at `seq`, for a reason matching `reason`. */
async function assertBreak(t: DbTarget, seq: number, reason: RegExp, extra: string[] = []): Promise<void> {
  const { code, report, line } = await verifyDb(t, extra);
  assert.equal(code, 1, `exit code; report: ${JSON.stringify(report)}`);
  assert.equal(report.ok, false);
  assert.equal(report.firstBad?.seq, seq, `first bad seq; reason: ${report.firstBad?.reason}`);
  assert.match(report.firstBad?.reason ?? "", reason);
  assert.ok(line.startsWith(`audit verify: FAILED at seq ${seq}: `), line);
}

/** A middle event that is not a seal (its batch seal comes later). */
function unsealedMiddle(events: readonly AuditEvent[]): AuditEvent {
  const e = events.find((x, i) => i > 2 && x.signature === null);
  assert.ok(e, "the log has an unsealed middle event");
  return e;
}

for (const kind of targetKinds()) {
  describe(`audit log tamper detection (${kind.name})`, { skip: kind.skip ?? false }, () => {
    test("the untampered, concurrently written log verifies", () =>
      withLog(kind, async (t, events, seals) => {
        const { code, report, line } = await verifyDb(t);
        const last = events.at(-1)!;
        assert.equal(code, 0);
        assert.deepEqual(report, {
          ok: true,
          count: events.length,
          head: { seq: last.seq, hash: last.hash },
          seals: seals.length,
        });
        assert.equal(
          line,
          `audit verify: OK — ${events.length} events, ${seals.length} seals, head seq ${last.seq} hash ${last.hash}`,
        );
      }));

    test("editing one field of one event is detected at that seq", () =>
      withLog(kind, async (t, events) => {
        const victim = unsealedMiddle(events);
        const tamper = await t.tamper();
        await tamper.update(victim.seq, "result", "forged");
        await assertBreak(t, victim.seq, /^hash mismatch/);
        // The installed command line says the same, with the same exit status.
        const spawned = runSigner(["audit", "verify", "--db"], t.env);
        assert.equal(spawned.status, 1, spawned.stderr);
        assert.match(spawned.stdout, new RegExp(`^audit verify: FAILED at seq ${victim.seq}: hash mismatch`));
      }));

    test("deleting one event is detected at the missing seq", () =>
      withLog(kind, async (t, events) => {
        const victim = unsealedMiddle(events);
        const tamper = await t.tamper();
        await tamper.remove([victim.seq]);
        await assertBreak(
          t,
          victim.seq,
          new RegExp(`^expected seq ${victim.seq}, found seq ${victim.seq + 1}$`),
        );
      }));

    test("swapping two events is detected at the first of them", () =>
      withLog(kind, async (t, events) => {
        const a = unsealedMiddle(events);
        const b = events[a.seq + 1]!;
        const tamper = await t.tamper();
        await tamper.remove([a.seq, b.seq]);
        // Rows keep their seq order; each takes the other's content (equivalently: their seqs are swapped).
        await tamper.insert([
          { ...b, seq: a.seq },
          { ...a, seq: b.seq },
        ]);
        await assertBreak(t, a.seq, /^prevHash does not match the hash of seq/);
      }));

    test("re-signing a seal with a foreign key is detected at that seal", () =>
      withLog(kind, async (t, events, seals) => {
        const seal = events[seals[1]!]!;
        const forged = sealWith(seal, ed25519Pair().privateKey).signature;
        const tamper = await t.tamper();
        await tamper.update(seal.seq, "signature", forged);
        await assertBreak(
          t,
          seal.seq,
          new RegExp(`^seal does not verify with key "${AUDIT_KID}" \\(ed25519\\)$`),
        );
      }));

    test("removing the last seal is detected at the last event", () =>
      withLog(kind, async (t, events) => {
        const last = events.at(-1)!;
        const tamper = await t.tamper();
        await tamper.update(last.seq, "signature", null);
        await assertBreak(t, last.seq, /^log ends on an unsealed event/);
      }));

    test("appending a well-chained, correctly hashed, unsealed event is detected", () =>
      withLog(kind, async (t, events) => {
        const last = events.at(-1)!;
        const [extra] = chainEvents(
          { seq: last.seq, hash: last.hash },
          [input(999)],
          AUDIT_KID,
          new Date().toISOString(),
        );
        const tamper = await t.tamper();
        await tamper.insert([extra!]);
        await tamper.setHead({ seq: extra!.seq, hash: extra!.hash });
        await assertBreak(t, last.seq + 1, /^log ends on an unsealed event/);
      }));

    test("truncating the tail back to an earlier seal passes alone, fails with the old head pinned", () =>
      withLog(kind, async (t, events, seals) => {
        const last = events.at(-1)!;
        const keep = events[seals.at(-3)!]!;
        const tamper = await t.tamper();
        await tamper.remove(events.filter((e) => e.seq > keep.seq).map((e) => e.seq));
        await tamper.setHead({ seq: keep.seq, hash: keep.hash });
        const plain = await verifyDb(t);
        assert.equal(plain.code, 0, "a truncated log that ends on a seal is self-consistent");
        assert.deepEqual(plain.report.head, { seq: keep.seq, hash: keep.hash });
        // An earlier pin that is still present passes; the old head does not.
        assert.equal((await verifyDb(t, ["--pin-head", `${keep.seq}:${keep.hash}`])).code, 0);
        await assertBreak(
          t,
          last.seq,
          /^pinned head seq \d+ is missing: the log ends at seq \d+ \(truncated\)$/,
          ["--pin-head", `${last.seq}:${last.hash}`],
        );
      }));
  });
}

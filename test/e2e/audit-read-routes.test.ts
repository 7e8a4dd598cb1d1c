import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { eventHash, GENESIS_HASH } from "../../signer/src/audit/event.js";
import type { AuditEvent } from "../../signer/src/store/store.js";
import { type ServiceFixture, startFixture } from "../helpers/service-fixture.js";
import { call } from "../helpers/tls-client.js";

type Page = { events: AuditEvent[]; nextSeq: number };

describe("audit read API and what gets audited", () => {
  let fx: ServiceFixture;
  before(async () => {
    fx = await startFixture();
  });
  after(async () => fx.close());

  const allEvents = async (): Promise<AuditEvent[]> => {
    const out: AuditEvent[] = [];
    let from = 0;
    for (;;) {
      const res = await call(fx.agent("auditor"), `${fx.service.url}/audit/events?fromSeq=${from}&limit=2`);
      assert.equal(res.status, 200, res.text);
      const page = res.body as Page;
      out.push(...page.events);
      if (page.events.length === 0) return out;
      from = page.nextSeq;
    }
  };

  test("the log starts with service.start and the head names the last event", async () => {
    const head = (await call(fx.agent("auditor"), `${fx.service.url}/audit/head`)).body as {
      seq: number;
      hash: string;
    };
    const events = await allEvents();
    assert.equal(events[0]!.op, "service.start");
    assert.equal(events[0]!.prevHash, GENESIS_HASH);
    assert.equal(head.seq, events[events.length - 1]!.seq);
    assert.equal(head.hash, events[events.length - 1]!.hash);
  });

  test("a signature, a forbidden kid and an unknown certificate identity are all audited, in one chain", async () => {
    const digestHex = "5a".repeat(32);
    const ok = await call(fx.agent("memory-layer"), `${fx.service.url}/sign/hash`, {
      body: { digestHex, kid: "k-rsa" },
    });
    assert.equal(ok.status, 200);
    const forbidden = await call(fx.agent("memory-layer"), `${fx.service.url}/sign/hash`, {
      body: { digestHex, kid: "k-other" },
    });
    assert.equal(forbidden.status, 403);
    const stranger = await call(fx.agent("stranger"), `${fx.service.url}/sign/hash`, { body: { digestHex } });
    assert.equal(stranger.status, 401);

    const events = await allEvents();
    const signed = events.find((e) => e.seq === (ok.body as { auditSeq: number }).auditSeq)!;
    assert.deepEqual(
      [signed.op, signed.principal, signed.kid, signed.alg, signed.digestHex, signed.result],
      ["sign.hash", "memory-layer", "k-rsa", "rsa-sha256", digestHex, "ok"],
    );
    assert.equal(signed.requestId, ok.headers["x-request-id"]);
    const refused = events.find((e) => e.requestId === forbidden.headers["x-request-id"])!;
    assert.equal(refused.result, "refused:ERR_FORBIDDEN");
    assert.equal(refused.kid, "k-other");
    const unauth = events.find((e) => e.requestId === stranger.headers["x-request-id"])!;
    assert.equal(unauth.principal, "cert:stranger");
    assert.equal(unauth.result, "refused:ERR_UNAUTHENTICATED");

    // One linear chain: contiguous seqs, each prevHash the previous hash, each hash recomputable.
    events.forEach((e, i) => {
      assert.equal(e.seq, i);
      assert.equal(e.prevHash, i === 0 ? GENESIS_HASH : events[i - 1]!.hash);
      const { hash, signature: _signature, ...rest } = e;
      assert.equal(eventHash(rest), hash);
    });
    assert.notEqual(events[events.length - 1]!.signature, null, "the log ends on a seal");
  });

  test("only principals with audit:read may read the log", async () => {
    for (const cn of ["memory-layer", "operator"]) {
      const res = await call(fx.agent(cn), `${fx.service.url}/audit/head`);
      assert.equal(res.status, 403, cn);
      const events = await call(fx.agent(cn), `${fx.service.url}/audit/events`);
      assert.equal(events.status, 403, cn);
    }
    const admin = await call(fx.agent("dev-client"), `${fx.service.url}/audit/head`);
    assert.equal(admin.status, 200);
  });

  test("bad paging parameters are 400", async () => {
    for (const q of ["limit=0", "limit=5000", "fromSeq=abc", "fromSeq=-1", "other=1"]) {
      const res = await call(fx.agent("auditor"), `${fx.service.url}/audit/events?${q}`);
      assert.equal(res.status, 400, q);
    }
  });
});

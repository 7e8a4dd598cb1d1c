import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { Registry } from "prom-client";
import { createDevCa, issueServerCert } from "../../src/certs/dev-pki.js";
import { watchCertExpiry } from "../../src/observability/cert-expiry.js";
import { createLogger } from "../../src/observability/logger.js";

test("server certificate expiry: a metric always, a warning only within 30 days", async () => {
  const ca = await createDevCa();
  const lines: string[] = [];
  const logger = createLogger(
    "info",
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  const registry = new Registry();
  const watch = watchCertExpiry(registry, logger);
  try {
    watch.update(Buffer.from((await issueServerCert(ca, { validDays: 31 })).certPem));
    assert.equal(lines.length, 0, "31 days left: no warning yet");
    const metric = await registry.getSingleMetricAsString("signer_tls_cert_expiry_seconds");
    const seconds = Number(/^signer_tls_cert_expiry_seconds (\S+)$/m.exec(metric)?.[1]);
    assert.ok(seconds > 30 * 86_400 && seconds <= 31 * 86_400, metric);
    watch.update(Buffer.from((await issueServerCert(ca, { validDays: 29 })).certPem));
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!) as { level: number; msg: string; daysLeft: number };
    assert.equal(line.level, 40, "warn");
    assert.match(line.msg, /expires within 30 days/);
    assert.equal(line.daysLeft, 28);
  } finally {
    watch.stop();
  }
});

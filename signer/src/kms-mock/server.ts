import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { CRYPTO_OPERATIONS } from "./crypto-operations.js";
import { type MockKmsFaults, mergeFaults, NO_FAULTS } from "./faults.js";
import type { KmsInput } from "./input.js";
import { KEY_OPERATIONS } from "./key-operations.js";
import { KmsError } from "./kms-error.js";
import type { Operation } from "./operation.js";
import { MockKmsState } from "./state.js";

/** Options of {@link startMockKms}. */
export interface MockKmsOptions {
  /** Default 127.0.0.1: the mock has no real authentication, so it should not listen beyond loopback. */
  readonly host?: string;
  /** Default 4599; 0 picks a free port. */
  readonly port?: number;
  /** JSON state file (keys persist across restarts); in memory when absent. */
  readonly statePath?: string;
  readonly faults?: Partial<MockKmsFaults>;
  /** Source of randomness for fault injection (tests make it deterministic). */
  readonly random?: () => number;
  /** Called with unexpected errors (they are answered as KMSInternalException). */
  readonly onError?: (err: unknown) => void;
}

/** A running mock KMS. */
export interface MockKmsServer {
  /** e.g. http://127.0.0.1:4599 — use it as the SDK's `endpoint` (KMS_ENDPOINT). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  faults(): MockKmsFaults;
  /** Change the injected faults at run time (like `POST /_faults`). */
  setFaults(update: Partial<MockKmsFaults>): MockKmsFaults;
  /** Stop listening and drop every open connection. */
  close(): Promise<void>;
}

const OPERATIONS: Readonly<Record<string, Operation>> = { ...KEY_OPERATIONS, ...CRYPTO_OPERATIONS };
const CONTENT_TYPE = "application/x-amz-json-1.1";
const MAX_BODY_BYTES = 256 * 1024;
/** The shape of a SigV4 Authorization header; the region comes from the credential scope. */
const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=[A-Za-z0-9]{1,128}\/\d{8}\/([a-z0-9-]{1,64})\/kms\/aws4_request, ?SignedHeaders=[a-z0-9;-]{1,1024}, ?Signature=[0-9a-f]{64}$/;

/**
 * Start a local server speaking the subset of the AWS KMS JSON 1.1 protocol the `awskms:` backend
 * uses (`POST /`, `X-Amz-Target: TrentService.<Op>`), with software keys. It checks that requests
 * carry a SigV4 Authorization header but cannot verify it (it has no secrets): it is a dev/CI
 * stand-in for KMS, never a security boundary.
 */
export async function startMockKms(options: MockKmsOptions = {}): Promise<MockKmsServer> {
  const state = MockKmsState.open(options.statePath);
  let faults = mergeFaults(NO_FAULTS, options.faults ?? {});
  const random = options.random ?? Math.random;
  const stopping = new AbortController();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/_faults") return faultsRoute(req, res);
    if (req.method !== "POST" || path !== "/") {
      return send(
        res,
        404,
        new KmsError("UnknownOperationException", "mock-kms serves POST / and /_faults").toBody(),
      );
    }
    const body = await readBody(req);
    // No Authorization, no service: the SDK always signs, so an unsigned request is a misconfigured client.
    const auth = req.headers.authorization;
    if (auth === undefined || auth.trim() === "") {
      throw new KmsError("MissingAuthenticationTokenException", "Request is missing Authentication Token");
    }
    const region = SIGV4.exec(auth)?.[1];
    if (region === undefined) {
      throw new KmsError(
        "IncompleteSignatureException",
        "Authorization header is not a SigV4 (AWS4-HMAC-SHA256) signature",
      );
    }
    const target = req.headers["x-amz-target"];
    const op = typeof target === "string" && target.startsWith("TrentService.") ? target.slice(13) : "";
    const operation = Object.hasOwn(OPERATIONS, op) ? OPERATIONS[op] : undefined;
    if (!operation) throw new KmsError("UnknownOperationException", "");
    if (!(req.headers["content-type"] ?? "").startsWith(CONTENT_TYPE)) {
      throw new KmsError("SerializationException", `Content-Type must be ${CONTENT_TYPE}`);
    }
    await injectFaults();
    const input = parseInput(body);
    send(res, 200, operation(input, { state, region }));
  };

  const injectFaults = async (): Promise<void> => {
    const { latencyMs, throttleRate, failRate } = faults;
    if (latencyMs > 0) await sleep(latencyMs, undefined, { signal: stopping.signal });
    if (throttleRate > 0 && random() < throttleRate)
      throw new KmsError("ThrottlingException", "Rate exceeded");
    if (failRate > 0 && random() < failRate) {
      throw new KmsError(
        "KMSInternalException",
        "The request was rejected because an internal exception occurred.",
        500,
      );
    }
  };

  const faultsRoute = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === "POST") {
      const text = (await readBody(req)).toString("utf8");
      try {
        faults = mergeFaults(faults, text.trim() === "" ? {} : JSON.parse(text));
      } catch (err) {
        return send(res, 400, { error: err instanceof Error ? err.message : "bad faults" });
      }
    } else if (req.method !== "GET") {
      return send(res, 405, { error: "GET or POST /_faults" });
    }
    send(res, 200, faults);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (stopping.signal.aborted) return void res.destroy();
      if (err instanceof KmsError) return send(res, err.status, err.toBody());
      options.onError?.(err);
      const internal = new KmsError("KMSInternalException", "An internal error occurred in mock-kms.", 500);
      send(res, 500, internal.toBody());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 4599, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    host: address.address,
    port: address.port,
    faults: () => faults,
    setFaults: (update) => {
      faults = mergeFaults(faults, update);
      return faults;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        stopping.abort();
        server.close(() => resolve());
        // Keep-alive connections would otherwise hold the port and make clients believe the server is up.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function parseInput(body: Buffer): KmsInput {
  if (body.length === 0) return {};
  let data: unknown;
  try {
    data = JSON.parse(body.toString("utf8"));
  } catch {
    throw new KmsError("SerializationException", "The request body is not valid JSON.");
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new KmsError("SerializationException", "The request body must be a JSON object.");
  }
  return data as KmsInput;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Bounded: a mock that buffers any body is an easy way to exhaust a CI runner's memory.
    if (size > MAX_BODY_BYTES)
      throw new KmsError("SerializationException", "The request body is too large.", 413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": CONTENT_TYPE,
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomUUID(),
  });
  res.end(text);
}

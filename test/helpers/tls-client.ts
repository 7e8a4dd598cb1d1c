import { Agent, request } from "undici";

/** Client credentials for the main port. */
export interface ClientTls {
  readonly ca: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly maxVersion?: "TLSv1.2" | "TLSv1.3";
}

/** A JSON response. */
export interface JsonResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
  readonly text: string;
}

/** An undici agent presenting a client certificate (or none). */
export function tlsAgent(tls: ClientTls): Agent {
  return new Agent({
    connect: {
      ca: tls.ca,
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
      ...(tls.maxVersion ? { maxVersion: tls.maxVersion } : {}),
      servername: "localhost",
    },
  });
}

/** Send a request and parse a JSON body when there is one. */
export async function call(
  agent: Agent | undefined,
  url: string,
  init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const hasBody = init.body !== undefined || init.rawBody !== undefined;
  const res = await request(url, {
    method: (init.method ?? (hasBody ? "POST" : "GET")) as "GET",
    ...(agent ? { dispatcher: agent } : {}),
    headers: { ...(hasBody ? { "content-type": "application/json" } : {}), ...init.headers },
    ...(hasBody ? { body: init.rawBody ?? JSON.stringify(init.body) } : {}),
  });
  const text = await res.body.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep text
  }
  return { status: res.statusCode, headers: res.headers as JsonResponse["headers"], body, text };
}

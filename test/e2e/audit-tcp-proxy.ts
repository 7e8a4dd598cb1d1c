// A TCP proxy that can cut a service off from its database and let it back in: a real network
// outage (reset connections, refused reconnects) without touching the shared PostgreSQL server.
import { connect, createServer, type Socket } from "node:net";

/** A running proxy to one upstream host:port. */
export interface TcpProxy {
  readonly port: number;
  /** Reset every open connection and every new one until `restore()`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** Listen on 127.0.0.1 (ephemeral port) and forward to `host:port`. */
export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(port, host);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      open.add(a);
      a.on("close", () => {
        open.delete(a);
        b.destroy();
      });
      a.on("error", () => b.destroy());
      a.pipe(b);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  const cut = (): void => {
    down = true;
    for (const s of open) s.resetAndDestroy();
  };
  return {
    port: address.port,
    cut,
    restore() {
      down = false;
    },
    close() {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// Child process for sqlite.test.ts: holds the SQLite store (and its lock) until stdin closes.
import { openSqliteStore } from "../../src/store/sqlite.js";

const path = process.argv[2];
if (path === undefined) throw new Error("usage: hold-lock.ts DB_PATH");
const store = openSqliteStore(path);
await store.migrate();
process.stdout.write("ready\n");
process.stdin.resume();
process.stdin.on("end", () => {
  void store.close().then(() => process.exit(0));
});

import assert from "node:assert/strict";
import { test } from "node:test";

/**
 * Register `suite(url)` when PG_TEST_URL is set. Otherwise a skipped test says why, or, under
 * REQUIRE_INTEGRATION=1 (.ci/run), a failing one: CI must never skip the PostgreSQL suites silently.
 */
export function withPostgres(title: string, suite: (url: string) => void): void {
  const url = process.env.PG_TEST_URL;
  if (url !== undefined && url !== "") {
    suite(url);
    return;
  }
  if (process.env.REQUIRE_INTEGRATION === "1") {
    test(`${title}: PG_TEST_URL is set (REQUIRE_INTEGRATION=1)`, () => {
      assert.fail(`REQUIRE_INTEGRATION=1 but PG_TEST_URL is not set; ${title} cannot run`);
    });
  } else {
    test(title, { skip: "PG_TEST_URL not set; .ci/run sets it" }, () => {});
  }
}

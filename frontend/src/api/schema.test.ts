// The generated API types must match openapi.json (itself checked against the server by pytest).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

test("src/api/schema.d.ts is generated from the current openapi.json (run `make ui-types`)", () => {
  const out = join(mkdtempSync(join(tmpdir(), "vp-types-")), "schema.d.ts");
  execFileSync(join("node_modules", ".bin", "openapi-typescript"), ["openapi.json", "-o", out], { stdio: "pipe" });
  expect(readFileSync("src/api/schema.d.ts", "utf8")).toBe(readFileSync(out, "utf8"));
}, 60_000);

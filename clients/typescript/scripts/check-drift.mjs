// Regenerates the client's types from openapi/openapi.json into a temporary file and fails when they differ
// from the committed src/schema.ts (run `npm run generate` after an intended API change, and commit the result).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const spec = join(root, "..", "..", "openapi", "openapi.json");
const committed = join(root, "src", "schema.ts");
const cli = join(dirname(createRequire(import.meta.url).resolve("openapi-typescript/package.json")), "bin", "cli.js");

const dir = mkdtempSync(join(tmpdir(), "folio-client-drift-"));
try {
  const fresh = join(dir, "schema.ts");
  const gen = spawnSync(process.execPath, [cli, spec, "--output", fresh], { cwd: root, encoding: "utf8" });
  if (gen.status !== 0) {
    process.stderr.write(gen.stdout + gen.stderr);
    console.error("check:drift: openapi-typescript failed");
    process.exit(2);
  }
  const want = readFileSync(fresh, "utf8");
  const have = readFileSync(committed, "utf8");
  if (want === have) {
    console.log("check:drift: src/schema.ts matches openapi/openapi.json");
  } else {
    const diff = spawnSync("diff", ["-u", committed, fresh], { encoding: "utf8" });
    process.stdout.write((diff.stdout || "").split("\n").slice(0, 80).join("\n") + "\n");
    console.error("check:drift: src/schema.ts is stale: run `npm run generate` and commit it");
    process.exit(1);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

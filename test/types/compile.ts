import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");

/**
 * Compiles test/types/consumer.ts (plus `extra` files) against the sources, as a consumer would.
 * Only the consumer's own diagnostics count: errors inside src/ are `npm run typecheck`'s to report.
 */
export function compileConsumer(extra: Record<string, string> = {}): {
  status: number | null;
  output: string;
} {
  // Inside node_modules/.cache: extra files then resolve `openai` as the consumer's would.
  const cache = join(ROOT, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, "router-types-"));
  try {
    const files = [join(ROOT, "test/types/consumer.ts")];
    for (const [name, text] of Object.entries(extra)) {
      writeFileSync(join(dir, name), text);
      files.push(join(dir, name));
    }
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2023", "DOM"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules/@types")],
          baseUrl: ROOT,
          paths: { "openai-router": ["src/index.ts"], "openai-router/sim": ["src/sim/index.ts"] },
        },
        files,
      }),
    );
    const result = spawnSync(process.execPath, [TSC, "-p", join(dir, "tsconfig.json")], {
      cwd: ROOT,
      encoding: "utf8",
    });
    const output = `${result.stdout}${result.stderr}`
      .split("\n")
      .filter((line) => /^(test\/types\/consumer\.ts|[^ ]*router-types-[^ /]*\/[^ ]*\.ts)\(/.test(line))
      .join("\n");
    return { status: output === "" ? 0 : (result.status ?? 1), output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

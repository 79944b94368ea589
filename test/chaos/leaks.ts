/** What a chaos run may leave behind or leak: handles and timers, and every text scanned for keys. */
import { inspect } from "node:util";
import { bump, sleep } from "./util.js";

export function activeResources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) bump(out, type);
  return out;
}

/** Active handles and ref'd timers once the worker is quiet (the test runner has short-lived timers too). */
export async function quietResources(): Promise<Record<string, number>> {
  let previous = "";
  let current = activeResources();
  for (let i = 0; i < 10 && JSON.stringify(current) !== previous; i++) {
    previous = JSON.stringify(current);
    await sleep(100);
    current = activeResources();
  }
  return current;
}

/** Resource types that have more entries than before (what a run left behind). */
export function leftBehind(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): string[] {
  return Object.entries(after)
    .filter(([type, n]) => n > (before[type] ?? 0))
    .map(([type, n]) => `${type}: ${before[type] ?? 0} → ${n}`);
}

/** What a logged argument looks like as text (stdout/stderr writes may be bytes). */
export function printable(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  return inspect(value, { depth: 6 });
}

/** Every text an error can show: message, stack, `String(cause)` and `inspect`, down the cause chain. */
export function errorTexts(error: unknown): string[] {
  const out: string[] = [inspect(error, { depth: 6 })];
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    out.push(String(current));
    if (current instanceof Error) {
      out.push(current.message, current.stack ?? "");
      current = current.cause;
    } else break;
  }
  return out;
}

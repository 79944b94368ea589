import { describe, expect, it } from "vitest";
import { nodeRepeat } from "../helpers/node-repeat.js";
import { compileConsumer } from "./compile.js";

// tsc's verdict does not depend on the Node that runs it: once, on Node 20 (see node-repeat.ts).
describe.skipIf(nodeRepeat)("the public types, as a consumer compiles them", () => {
  // Breaks if an overload, the stream's SDK type, the promise helpers or the RouterError union
  // regress: consumer.ts asserts each, and each @ts-expect-error line must still be an error.
  it("compiles test/types/consumer.ts", () => {
    const { status, output } = compileConsumer();
    expect(output).toBe("");
    expect(status).toBe(0);
  }, 60_000);

  // Breaks if the fixture's checks cannot fail (an Equal that accepts anything would pass above).
  it("rejects a wrong type assertion and a wrong narrowing", () => {
    const { status, output } = compileConsumer({
      "wrong.ts": `import type { ChatCompletion } from "openai/resources/chat/completions";
import { type Router, RouterError } from "openai-router";
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(_proof?: T): void => undefined;
export async function wrong(router: Router, e: unknown) {
  const s = await router.chat.completions.create({ model: "m", messages: [], stream: true });
  assertType<Equal<typeof s, ChatCompletion>>();
  if (e instanceof RouterError && e.code === "QUEUE_FULL") void e.attempts;
}
`,
    });
    expect(status).not.toBe(0);
    expect(output.split("\n")).toHaveLength(2);
    expect(output).toMatch(/wrong\.ts\(7,14\): error TS2344/);
    expect(output).toMatch(/wrong\.ts\(8,67\): error TS2339: Property 'attempts' does not exist/);
  }, 60_000);
});

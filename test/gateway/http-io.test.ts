import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { pipeBody } from "../../src/gateway/http-io.js";

/** Lets pending promise callbacks and I/O callbacks run (a few event-loop turns; no clock involved). */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/** A response whose socket buffer is "full" after every write until the test emits `drain`. */
class SlowResponse extends EventEmitter {
  destroyed = false;
  readonly written: string[] = [];
  write(chunk: Uint8Array): boolean {
    this.written.push(new TextDecoder().decode(chunk));
    return false;
  }
}

describe("pipeBody", () => {
  // Breaks if the next chunk is pulled before the socket drained (no backpressure: a slow reader would
  // make the gateway buffer the whole stream and keep the upstream reading at full speed).
  it("reads the next chunk only after the socket drained", async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulls += 1;
          if (pulls > 3) controller.close();
          else controller.enqueue(new TextEncoder().encode(`chunk${pulls}`));
        },
      },
      { highWaterMark: 0 },
    );
    const res = new SlowResponse();
    const done = pipeBody(body.getReader(), res as unknown as ServerResponse);
    await turns();
    expect(res.written).toEqual(["chunk1"]);
    expect(pulls).toBeLessThanOrEqual(2);
    res.emit("drain");
    await turns();
    expect(res.written).toEqual(["chunk1", "chunk2"]);
    res.emit("drain");
    await turns();
    res.emit("drain");
    await done;
    expect(res.written).toEqual(["chunk1", "chunk2", "chunk3"]);
  });

  // Breaks if a closed response leaves the copy waiting for a drain that never comes.
  it("ends when the response closes while waiting", async () => {
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode("x"));
      },
    });
    const res = new SlowResponse();
    const done = pipeBody(body.getReader(), res as unknown as ServerResponse);
    await turns();
    res.destroyed = true;
    res.emit("close");
    await done;
    expect(res.written).toEqual(["x"]);
  });
});

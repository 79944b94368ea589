import { OpenAI } from "openai";
import { createGateway, type Gateway, type GatewayOptions } from "../../src/gateway/gateway.js";
import { chat, type Rig, rig } from "../helpers/setup.js";

type FleetOptions = Parameters<typeof rig>[0];

/** A fleet, a router over it and a gateway in front, listening on a free loopback port. */
export interface GatewayRig extends Rig {
  readonly gateway: Gateway;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Access-log lines written so far, parsed. */
  readonly log: Record<string, unknown>[];
  /** The raw access log. */
  logText(): string;
  /** An SDK client pointed at the gateway. */
  client(apiKey?: string, maxRetries?: number): OpenAI;
}

export const FLEET: FleetOptions = {
  seed: 12,
  endpoints: [
    {
      name: "east",
      type: "azure",
      deployments: { "gpt-4o": "gpt4o-east", "text-embedding-3-small": "emb-east" },
      limits: { rpm: 60_000, tpm: 10_000_000 },
    },
    {
      name: "oai",
      type: "openai",
      models: ["gpt-4o", "text-embedding-3-small"],
      limits: { rpm: 60_000, tpm: 10_000_000 },
    },
  ],
};

export async function gatewayRig(
  fleet: FleetOptions = FLEET,
  routerConfig: Parameters<typeof rig>[1] = {},
  options: GatewayOptions = {},
): Promise<GatewayRig> {
  const base = await rig(fleet, routerConfig);
  let text = "";
  const gateway = createGateway(base.router, {
    accessLog: { write: (t: string) => (text += t) },
    ...options,
  });
  const url = await gateway.listen(0, "127.0.0.1");
  return {
    ...base,
    gateway,
    url,
    get log() {
      return text
        .split("\n")
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    logText: () => text,
    client: (apiKey = "no-key-needed", maxRetries = 0) =>
      new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries }),
    async close() {
      await gateway.close({ drainMs: 1_000 });
      await base.close();
    },
  };
}

/** Waits until `check()` holds (polling real time; nothing is asserted about how long it took). */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  maxMs = 10_000,
): Promise<void> {
  const end = Date.now() + maxMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets the access log's batched writes land. */
export const flushed = () => new Promise((r) => setImmediate(r));

export { chat };

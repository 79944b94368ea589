import {
  type Completion,
  createRouter,
  type OpenAIEndpointConfig,
  type Router,
  type RouterConfig,
  type RouterEvent,
} from "../../src/index.js";
import { type HostileMode, type HostileUpstream, startHostileUpstream } from "../helpers/hostile-upstream.js";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A chat body. */
export const CHAT = {
  model: "gpt-4o",
  messages: [{ role: "user" as const, content: "Hello" }],
  max_tokens: 16,
};
/** What the fixture's healthy endpoint streams, joined. */
export const HEALTHY_TEXT = "Hello from a healthy endpoint.";

export interface HostileRig {
  readonly upstream: HostileUpstream;
  readonly router: Router;
  readonly outcomes: Completion[];
  readonly events: RouterEvent[];
  lane(name: string): ReturnType<Router["snapshot"]>["endpoints"][number];
  close(): Promise<void>;
}

/**
 * The real router and the official SDK over the hostile fixture. Endpoints are tried in the order of
 * `modes` (strategy `priority`): the first one misbehaves, the ones after it are there to fail over to.
 */
export async function hostileRig(
  modes: Readonly<Record<string, HostileMode>>,
  config: Partial<RouterConfig> = {},
  options: {
    dripIntervalMs?: number;
    extras?: Readonly<Record<string, Partial<OpenAIEndpointConfig>>>;
  } = {},
): Promise<HostileRig> {
  const upstream = await startHostileUpstream(options);
  const names = Object.keys(modes);
  for (const [name, mode] of Object.entries(modes)) upstream.setMode(name, mode);
  const router = createRouter({
    strategy: "priority",
    endpoints: names.map((name, i) => upstream.endpoint(name, { priority: i, ...options.extras?.[name] })),
    attemptTimeoutMs: 2_000,
    firstTokenTimeoutMs: 2_000,
    timeoutMs: 10_000,
    retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    ...config,
  });
  const outcomes: Completion[] = [];
  const events: RouterEvent[] = [];
  router.completions$.subscribe((c) => outcomes.push(c));
  router.events$.subscribe((e) => events.push(e));
  return {
    upstream,
    router,
    outcomes,
    events,
    lane(name) {
      const found = router.snapshot().endpoints.find((e) => e.name === name);
      if (!found) throw new Error(`no lane ${name}`);
      return found;
    },
    async close() {
      // A router that cannot close (the bug some tests look for) must not hang the suite.
      await Promise.race([router.close(), sleep(3_000)]);
      await upstream.close();
      await Promise.race([router.close(), sleep(3_000)]);
    },
  };
}

/** Settles a promise into a value or its error, for assertions. */
export async function settled<T>(
  promise: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Reads a chat stream to its end: the text, and the error its loop threw, if any. */
export async function readStream(
  router: Router,
  body: Record<string, unknown> = CHAT,
): Promise<{ text: string; chunks: number; error: unknown }> {
  let text = "";
  let chunks = 0;
  try {
    const stream = await router.chat.completions.create({ ...(body as typeof CHAT), stream: true });
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta?.content ?? "";
    }
    return { text, chunks, error: undefined };
  } catch (error) {
    return { text, chunks, error };
  }
}

export const codeOf = (error: unknown): unknown => (error as { code?: unknown } | undefined)?.code;

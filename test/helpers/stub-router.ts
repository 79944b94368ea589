import {
  type Completion,
  createRouter,
  type OpenAIEndpointConfig,
  type Router,
  type RouterCallOptions,
  type RouterConfig,
  type RouterEvent,
  type Transport,
} from "../../src/index.js";
import { chat } from "./setup.js";
import { FastForward } from "./virtual-time.js";

/** The model the stub rigs serve unless told otherwise. */
export const STUB_MODEL = "gpt-4o";

/** An openai-type endpoint at an address no HTTP ever reaches (a stub transport answers instead). */
export function stubEndpoint(name: string, extra: Partial<OpenAIEndpointConfig> = {}): OpenAIEndpointConfig {
  return {
    name,
    type: "openai",
    apiKey: `sk-test-${name}-0000000000`,
    baseURL: `http://${name}.test.invalid/v1`,
    models: [STUB_MODEL],
    ...extra,
  };
}

/** Lets every settled promise chain run (the stub, the router and the caller all hop through microtasks). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Routers over a transport of the test's own on one virtual clock (default endpoints a and b, rng 0.5,
 * no HTTP at all), and their cleanup: call `closeAll` from `afterEach`.
 * @example
 * const rigs = stubRigs();
 * afterEach(() => rigs.closeAll());
 * const { router, advanceBy } = rigs.create((clock) => ({ transport: myTransport(clock) }));
 */
export function stubRigs() {
  const open: (() => Promise<void>)[] = [];
  return {
    /** `make` builds the transport (and whatever the test wants back with it) on the rig's clock. */
    create<T extends { readonly transport: Transport }>(
      make: (clock: FastForward) => T,
      config: Partial<RouterConfig> = {},
    ) {
      const clock = new FastForward();
      const made = make(clock);
      const router: Router = createRouter(
        {
          endpoints: [stubEndpoint("a"), stubEndpoint("b")],
          scheduler: clock.scheduler,
          rng: () => 0.5,
          fetch: () => Promise.reject(new Error("no HTTP in these tests")),
          ...config,
        },
        { transport: made.transport },
      );
      const events: RouterEvent[] = [];
      const outcomes: Completion[] = [];
      router.events$.subscribe((e) => events.push(e));
      router.completions$.subscribe((c) => outcomes.push(c));

      /** Runs virtual time up to `at`, timer by timer, letting promise chains settle between timers. */
      const advanceTo = async (at: number): Promise<void> => {
        await flush();
        for (let next = clock.nextDue(); next !== undefined && next <= at; next = clock.nextDue()) {
          clock.advanceTo(Math.max(next, clock.now()));
          await flush();
        }
        clock.advanceTo(at);
        await flush();
      };
      const advanceBy = (ms: number) => advanceTo(clock.now() + ms);

      /** Advances from timer to timer until `done()` (at most `maxMs` of virtual time). */
      const until = async (done: () => boolean, maxMs = 600_000): Promise<void> => {
        const end = clock.now() + maxMs;
        await flush();
        while (!done()) {
          const next = clock.nextDue();
          if (next === undefined || next > end) return;
          clock.advanceTo(Math.max(next, clock.now()));
          await flush();
        }
      };

      /** Starts a chat request and drives the clock until it settles. */
      const request = async (options: RouterCallOptions = {}) => {
        let settled = false;
        const result = router.chat.completions
          .create(chat(), options)
          .then(
            (response) => ({ ok: true as const, response }),
            (error: unknown) => ({ ok: false as const, error }),
          )
          .finally(() => {
            settled = true;
          });
        await until(() => settled);
        if (!settled) throw new Error("the request did not settle within 10 virtual minutes");
        return result;
      };

      open.push(async () => {
        // A request left running by a failing test must not hang the suite: close only if it drains.
        let closed = false;
        const closing = router.close().then(() => {
          closed = true;
        });
        await until(() => closed);
        if (closed) await closing;
      });

      const idle = () => {
        const totals = router.snapshot().totals;
        return totals.inflight === 0 && totals.pending === 0;
      };
      const lane = (name: string) => {
        const found = router.snapshot().endpoints.find((e) => e.name === name);
        if (!found) throw new Error(`no lane ${name}`);
        return found;
      };
      const ofType = <K extends RouterEvent["type"]>(type: K) =>
        events.filter((e): e is Extract<RouterEvent, { type: K }> => e.type === type);

      return {
        ...made,
        clock,
        router,
        events,
        outcomes,
        advanceTo,
        advanceBy,
        until,
        request,
        idle,
        lane,
        ofType,
      };
    },
    async closeAll(): Promise<void> {
      for (const close of open.splice(0)) await close();
    },
  };
}

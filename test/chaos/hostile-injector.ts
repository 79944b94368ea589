/** The hostile endpoints' modes during a chaos run, and the figures of what they received. */
import type { HostileMode, HostileUpstream } from "../helpers/hostile-upstream.js";
import type { ChaosReport } from "./scenario.js";
import { between, bump, shuffled } from "./util.js";

export const HOSTILE = ["hostile-1", "hostile-2"] as const;
/**
 * The modes the chaos run deals. Left out: `echo-key-400` (a 400 is final for the request: it would be a
 * failure by design; its redaction is covered in test/hostile) and `ok` (the clearing step below).
 */
export const HOSTILE_CHAOS_MODES: readonly HostileMode[] = [
  "html",
  "non-json",
  "text",
  "wrong-shape",
  "error-200",
  "empty",
  "empty-untyped",
  "short-list",
  "sse-error",
  "sse-garbage",
  "sse-wrong-shape",
  "sse-empty",
  "sse-no-done",
  "sse-garbage-after",
  "sse-error-after",
  "retry-after-zero",
  "retry-after-tiny",
  "retry-after-past",
  "retry-after-negative",
  "retry-after-garbage",
  "retry-after-huge",
  "503-retry-after-zero",
  "drip",
  "echo-key-503",
  "echo-key-200",
];
export const ZERO_RETRY_AFTER: ReadonlySet<HostileMode> = new Set([
  "retry-after-zero",
  "retry-after-tiny",
  "retry-after-past",
  "503-retry-after-zero",
]);

/** The longest a hostile mode waits for its first call before the next is dealt. */
export const MAX_HOLD_MS = 1_000;

/** Changes each hostile endpoint's mode every 60–150 ms, through seeded decks of every mode (and `ok`). */
export class HostileInjector {
  readonly dealt: HostileMode[] = [];
  /** Per endpoint: when each zero-retry-after mode started and ended (for the hammering rate). */
  readonly zeroSpans: { endpoint: string; from: number; to: number }[] = [];
  private readonly decks = new Map<string, HostileMode[]>();
  private readonly since = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly upstream: HostileUpstream,
    private readonly rng: () => number,
  ) {}

  start(): void {
    for (const name of HOSTILE) this.next(name);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const name of HOSTILE) this.set(name, "ok");
  }

  private next(name: string): void {
    if (this.stopped) return;
    let deck = this.decks.get(name);
    if (!deck || deck.length === 0) {
      deck = [...shuffled(this.rng, HOSTILE_CHAOS_MODES), "ok"];
      this.decks.set(name, deck);
    }
    const mode = deck.shift() as HostileMode;
    this.set(name, mode);
    if (mode !== "ok") this.dealt.push(mode);
    const callsAtStart = this.upstream.calls(name);
    const startedAt = performance.now();
    // A mode dealt while its lane takes nothing (cooling after a retry-after mode, breaker open) is
    // held until one call met it, for at most MAX_HOLD_MS: every mode is tried, not just dealt.
    const turn = () => {
      this.timers.delete(timer);
      const unmet = this.upstream.calls(name) === callsAtStart;
      if (unmet && performance.now() - startedAt < MAX_HOLD_MS) {
        timer = setTimeout(turn, 20);
        this.timers.add(timer);
        return;
      }
      this.next(name);
    };
    let timer = setTimeout(turn, between(this.rng, 60, 150));
    this.timers.add(timer);
  }

  private set(name: string, mode: HostileMode): void {
    const now = performance.now();
    const previous = this.upstream.modeOf(name);
    if (ZERO_RETRY_AFTER.has(previous))
      this.zeroSpans.push({ endpoint: name, from: this.since.get(name) ?? now, to: now });
    this.since.set(name, now);
    this.upstream.setMode(name, mode);
  }
}

export function hostileFigures(
  upstream: HostileUpstream,
  injector: HostileInjector,
): NonNullable<ChaosReport["hostile"]> {
  const callsByMode: Record<string, number> = {};
  for (const call of upstream.log) bump(callsByMode, call.mode);
  let calls = 0;
  let seconds = 0;
  for (const span of injector.zeroSpans) {
    seconds += (span.to - span.from) / 1_000;
    calls += upstream.log.filter(
      (c) => c.endpoint === span.endpoint && c.at >= span.from && c.at < span.to,
    ).length;
  }
  return { callsByMode, dealt: injector.dealt, zeroRetryAfterRate: seconds > 0 ? calls / seconds : 0 };
}

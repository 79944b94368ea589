/** What must hold after every chaos run, whatever the faults (see run-chaos.ts and docs/chaos.md). */
import { inspect } from "node:util";
import type { CreateEmbeddingResponse } from "openai/resources/embeddings";
import { afterAll, expect } from "vitest";
import type { Completion } from "../../src/index.js";
import { figuresOf, summaryLine } from "./figures.js";
import { HOSTILE, HOSTILE_CHAOS_MODES } from "./hostile-injector.js";
import { leftBehind } from "./leaks.js";
import { type ChaosReport, HEALTHY, MAX_ATTEMPTS } from "./scenario.js";
import { bump } from "./util.js";

export function check(report: ChaosReport): void {
  const f = figuresOf(report);
  summaries.push(summaryLine(report, f));

  // Nothing lost, nothing settled twice, nothing unknown: exactly one outcome per request, both sides.
  expect(report.lost).toBe(0);
  expect(report.closed).toBe(true);
  expect(report.unknownCompletions).toEqual([]);
  const completionCounts = report.tracked
    .filter((t) => t.completions.length !== 1)
    .map((t) => `${t.id}×${t.completions.length}`);
  expect(completionCounts).toEqual([]);
  const callerCounts = report.tracked
    .filter((t) => t.api !== "subject" && t.caller.length !== 1)
    .map((t) => `${t.id}×${t.caller.length}`);
  expect(callerCounts).toEqual([]);

  // The caller's side agrees with completions$.
  const disagreements: string[] = [];
  for (const t of report.tracked) {
    const c = t.completions[0];
    const caller = t.caller[0];
    if (!c) continue;
    if (c.kind !== t.kind) disagreements.push(`${t.id}: kind ${c.kind} ≠ ${t.kind}`);
    if (
      c.ok &&
      t.kind === "chat" &&
      (t.api === "subject" ? c.response : t.response)?.object !== "chat.completion"
    ) {
      disagreements.push(`${t.id}: ok chat without a chat.completion`);
    }
    if (c.ok && t.kind === "embeddings") {
      const response = (t.api === "subject" ? c.response : t.response) as CreateEmbeddingResponse | undefined;
      // `?.` on data too: an answer that is not an embeddings list at all must show as a disagreement.
      if (response?.data?.length !== t.inputs)
        disagreements.push(`${t.id}: ${response?.data?.length} vectors for ${t.inputs} inputs`);
    }
    // A stream the router calls a success reached its end: the caller saw the finish chunk.
    if (c.ok && t.kind === "stream" && !t.sawFinish)
      disagreements.push(`${t.id}: ok stream without finish_reason`);
    if (!caller) continue;
    if (caller.ok && !c.ok) {
      // A caller's abort ends an SDK-shaped stream quietly (as the SDK does); nothing else may.
      const quietAbort = t.kind === "stream" && c.error.code === "ABORTED" && t.abortedIn !== undefined;
      if (!quietAbort) disagreements.push(`${t.id}: caller saw ${caller.value}, completion ${c.error.code}`);
    }
    if (!caller.ok && c.ok) disagreements.push(`${t.id}: caller saw ${caller.code}, completion ok`);
    if (!caller.ok && !c.ok && caller.code !== c.error.code) {
      disagreements.push(`${t.id}: caller saw ${caller.code}, completion ${c.error.code}`);
    }
  }
  expect(disagreements).toEqual([]);

  // Aborts: every moment was hit, and an aborted request settles ABORTED (or succeeded just before).
  expect(f.abortedIn.waiting ?? 0).toBeGreaterThan(0);
  expect(f.abortedIn.running ?? 0).toBeGreaterThan(0);
  expect(f.abortedIn["mid-stream"] ?? 0).toBeGreaterThan(0);
  const badAborts = report.tracked
    .filter(
      (t) =>
        t.abortedIn && t.completions[0] && !t.completions[0].ok && t.completions[0].error.code !== "ABORTED",
    )
    .map((t) => `${t.id} (${t.abortedIn}): ${t.completions[0]?.ok ? "" : t.completions[0]?.error.code}`);
  expect(badAborts).toEqual([]);
  const spuriousAborts = report.tracked
    .filter(
      (t) =>
        !t.abortedIn && t.completions[0] && !t.completions[0].ok && t.completions[0].error.code === "ABORTED",
    )
    .map((t) => t.id);
  expect(spuriousAborts).toEqual([]);

  // STREAM_INTERRUPTED is reserved for streams whose content already reached the caller.
  const misplaced = report.tracked
    .filter((t) => {
      const c = t.completions[0];
      return (
        c && !c.ok && c.error.code === "STREAM_INTERRUPTED" && (t.kind !== "stream" || t.contentChunks === 0)
      );
    })
    .map((t) => `${t.id} (${t.kind}, ${t.contentChunks} content chunks)`);
  expect(misplaced).toEqual([]);
  // …and to endpoints that did cut streams: the healthy one never does.
  expect(f.interruptedBy[HEALTHY] ?? 0).toBe(0);

  // Attempts are bounded by retry.maxAttempts (a plain 429 waits instead of using one up); a success
  // names the endpoint whose attempt answered 200.
  const badAttempts = report.tracked
    .map((t) => t.completions[0])
    .filter((c): c is Completion => c !== undefined)
    .filter((c) => {
      const last = c.attempts.at(-1);
      if (c.attempts.filter((a) => a.status !== 429).length > MAX_ATTEMPTS) return true;
      return c.ok && (last?.status !== 200 || last.endpoint !== c.endpoint);
    })
    .map((c) => `${c.id}: ${c.attempts.map((a) => `${a.endpoint}→${a.status ?? a.errorCode}`).join(", ")}`);
  expect(badAttempts).toEqual([]);
  const fleet200 = Object.values(report.endpointStats).reduce((sum, s) => sum + (s.byStatus["200"] ?? 0), 0);
  // The hostile endpoints are not the sim's: what they answered well (their `ok` phases) is counted by
  // the router, whose 200 attempts on them are the successes they served.
  const hostile200 = HOSTILE.reduce((sum, name) => sum + (report.routerStatuses[name]?.["200"] ?? 0), 0);
  expect(fleet200 + hostile200).toBeGreaterThanOrEqual(f.succeeded);

  // The endpoint taken down came back and served again.
  expect(report.faults.down ?? 0).toBeGreaterThan(0);
  // Every kind of fault in the schedule hit the load (the first deck deals each kind once, within ~2.5 s).
  const dealt = Object.keys(report.faults);
  for (const kind of [
    /^error-/,
    /^rate-limit-storm$/,
    /^reset-before-headers$/,
    /^reset-(mid|after)/,
    /^hang$/,
  ])
    expect(
      dealt.some((label) => kind.test(label)),
      `${kind} was injected`,
    ).toBe(true);
  for (const kind of ["slow", "clear"])
    expect(report.faults[kind] ?? 0, `${kind} was injected`).toBeGreaterThan(0);
  expect(report.downCycles.some((c) => c.servedAfterUp > 0)).toBe(true);

  // Nothing held once everything settled.
  const snap = report.snapshotAfter;
  expect(snap.totals.inflight).toBe(0);
  expect(snap.totals.pending).toBe(0);
  expect(snap.queue.depth).toBe(0);
  expect(snap.endpoints.map((e) => [e.name, e.inflight, e.outstandingReservations])).toEqual(
    snap.endpoints.map((e) => [e.name, 0, 0]),
  );
  expect(report.metricsEmissions).toBeGreaterThan(0);

  // No key anywhere; no unhandled rejection or process warning; no handle or timer left behind.
  expect(report.leaks).toEqual([]);
  expect(report.unhandled.map((r) => inspect(r))).toEqual([]);
  expect(report.warnings).toEqual([]);
  expect(leftBehind(report.handlesBefore, report.handlesAfter)).toEqual([]);

  if (report.hostile) {
    // Every hostile mode was dealt while the load ran, and (nearly) every one met it: a lane whose
    // breaker is open takes nothing for a while, so a mode dealt then may see no call.
    const { callsByMode, dealt, zeroRetryAfterRate } = report.hostile;
    for (const mode of HOSTILE_CHAOS_MODES) expect(dealt, `${mode} was dealt`).toContain(mode);
    const met = HOSTILE_CHAOS_MODES.filter((mode) => (callsByMode[mode] ?? 0) > 0);
    expect(met.length, `modes that met the load: ${met.join(", ")}`).toBeGreaterThanOrEqual(
      Math.floor(HOSTILE_CHAOS_MODES.length * 0.8),
    );
    // A retry-after of zero does not make the router hammer: the floor (500 ms) bounds it to about
    // one call per waiting slot per half second (24 slots per lane: ≤ 48/s), not thousands.
    expect(zeroRetryAfterRate).toBeLessThan(100);
  }

  // Last, so that every property above is checked on every run: with one endpoint healthy throughout,
  // everything not aborted and not cut after content reached the caller succeeds (≥ 99.9%).
  const failed = report.tracked.flatMap((t) => {
    const c = t.completions[0];
    return !t.abortedIn && c && !c.ok && c.error.code !== "STREAM_INTERRUPTED" ? [{ t, c }] : [];
  });
  const byCause: Record<string, number> = {};
  for (const { t, c } of failed) bump(byCause, `${t.kind} ${c.error.code}: ${c.error.message}`);
  const examples = failed
    .slice(0, 5)
    .map(
      ({ t, c }) =>
        `${t.id}: ${c.attempts.map((a) => `${a.endpoint}→${a.status ?? a.errorCode}`).join(", ")}`,
    );
  const why = [
    `${failed.length} of ${f.judged} failed`,
    ...Object.entries(byCause).map(([cause, n]) => `${n}× ${cause}`),
    ...examples,
  ].join("\n");
  expect(f.successShare, why).toBeGreaterThanOrEqual(0.999);
}

const summaries: string[] = [];
/** Prints the summary line of every run checked in this file once the file is done. */
export function printSummariesAfterAll(): void {
  afterAll(() => {
    if (summaries.length > 0) console.log(summaries.join("\n"));
  });
}

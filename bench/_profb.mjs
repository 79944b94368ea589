// src/config.ts
import { z } from "zod";

// src/errors.ts
var RouterError = class extends Error {
  /** Stable, machine-readable code. */
  code;
  constructor(code, message, options) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
};
var ConfigError = class extends RouterError {
  issues;
  constructor(issues) {
    super(
      "CONFIG_INVALID",
      `Invalid router config (${issues.length} problem${issues.length === 1 ? "" : "s"}):
${issues.map((i) => `  - ${i.path || "(root)"}: ${i.message}`).join("\n")}`
    );
    this.issues = issues;
  }
};
var NoEndpointForModelError = class extends RouterError {
  model;
  constructor(model, known) {
    super(
      "NO_ENDPOINT_FOR_MODEL",
      `No endpoint serves model "${model}". Configured models: ${known.length ? known.join(", ") : "(none)"}.`
    );
    this.model = model;
  }
};
var RequestInvalidError = class extends RouterError {
  constructor(message) {
    super("REQUEST_INVALID", message);
  }
};
var QueueFullError = class extends RouterError {
  maxSize;
  constructor(maxSize) {
    super(
      "QUEUE_FULL",
      `The router's queue is full (${maxSize} waiting requests). Slow down or raise queue.maxSize.`
    );
    this.maxSize = maxSize;
  }
};
var DeadlineExceededError = class extends RouterError {
  timeoutMs;
  constructor(timeoutMs, phase, options) {
    super(
      "DEADLINE_EXCEEDED",
      `The request did not complete within its ${timeoutMs} ms deadline (it was ${phase === "queued" ? "still waiting for an endpoint" : "in flight"}).`,
      options
    );
    this.timeoutMs = timeoutMs;
  }
};
var AbortedError = class extends RouterError {
  constructor(options) {
    super("ABORTED", "The request was aborted by the caller.", options);
  }
};
var RouterClosedError = class extends RouterError {
  constructor() {
    super("ROUTER_CLOSED", "The router is closed and accepts no new requests.");
  }
};
var RequestTooLargeError = class extends RouterError {
  estimatedTokens;
  largestBudget;
  constructor(model, estimatedTokens, largestBudget) {
    super(
      "REQUEST_TOO_LARGE",
      `The request for "${model}" needs ~${estimatedTokens} tokens (prompt + output cap), more than the largest tokens-per-minute budget of any endpoint serving it (${largestBudget}). Lower max_tokens or shorten the prompt.`
    );
    this.estimatedTokens = estimatedTokens;
    this.largestBudget = largestBudget;
  }
};
var UpstreamError = class extends RouterError {
  status;
  upstreamCode;
  requestID;
  endpoint;
  constructor(endpoint, cause, redact = (t) => t) {
    const info = describeUpstream(cause);
    super("UPSTREAM_ERROR", redact(`Endpoint "${endpoint}" rejected the request: ${info.summary}`), { cause });
    this.status = info.status;
    this.upstreamCode = info.code;
    this.requestID = info.requestID;
    this.endpoint = endpoint;
  }
};
var AllEndpointsFailedError = class extends RouterError {
  attempts;
  status;
  constructor(model, attempts, cause) {
    const last = attempts.at(-1);
    super(
      "ALL_ENDPOINTS_FAILED",
      `All attempts for "${model}" failed (${attempts.length} attempt${attempts.length === 1 ? "" : "s"}: ${attempts.map((a) => `${a.endpoint}\u2192${a.status ?? a.errorCode ?? "error"}`).join(", ")}).`,
      { cause }
    );
    this.attempts = attempts;
    this.status = last?.status;
  }
};
function describeUpstream(error) {
  if (typeof error !== "object" || error === null) {
    return { status: void 0, code: void 0, requestID: void 0, summary: String(error) };
  }
  const e = error;
  const status = typeof e.status === "number" ? e.status : void 0;
  const code = typeof e.code === "string" ? e.code : void 0;
  const requestID = typeof e.requestID === "string" ? e.requestID : void 0;
  const message = typeof e.message === "string" ? e.message : "unknown error";
  return { status, code, requestID, summary: message };
}
var StreamInterruptedError = class extends RouterError {
  endpoint;
  received;
  status;
  constructor(endpoint, received, cause, redact = (t) => t) {
    const info = describeUpstream(cause);
    super(
      "STREAM_INTERRUPTED",
      redact(`The stream from endpoint "${endpoint}" broke after ${received} chunk(s): ${info.summary}`),
      { cause }
    );
    this.endpoint = endpoint;
    this.received = received;
    this.status = info.status;
  }
};

// src/strategies/tie-break.ts
function pickAmong(lanes, isTie, context) {
  let count = 0;
  let only;
  for (const lane of lanes) {
    if (isTie(lane)) {
      count++;
      only = lane;
    }
  }
  if (count <= 1) return only?.id;
  let target = Math.min(count - 1, Math.floor(context.rng() * count));
  for (const lane of lanes) {
    if (isTie(lane)) {
      if (target === 0) return lane.id;
      target--;
    }
  }
  return only?.id;
}
var SCORE_EPSILON = 1e-9;
function checkNumberOption(name, value, min, opts = {}) {
  const tooSmall = opts.exclusiveMin ? value <= min : value < min;
  if (!Number.isFinite(value) || tooSmall || opts.integer === true && !Number.isInteger(value)) {
    const what = `${opts.integer ? "an integer" : "a finite number"} ${opts.exclusiveMin ? ">" : "\u2265"} ${min}`;
    throw new RangeError(`Expected \`${name}\` to be ${what}, got ${String(value)}.`);
  }
}

// src/strategies/least-busy.ts
function createLeastBusy(options = {}) {
  const unlimited = options.unlimitedConcurrencyAs ?? 1e4;
  checkNumberOption("unlimitedConcurrencyAs", unlimited, 0, { exclusiveMin: true });
  const load = (lane) => {
    const capacity = Number.isFinite(lane.concurrency) ? lane.concurrency : unlimited;
    return capacity > 0 ? lane.inflight / capacity : Number.POSITIVE_INFINITY;
  };
  return (lanes, _request, context) => {
    let best = Number.POSITIVE_INFINITY;
    for (const lane of lanes) best = Math.min(best, load(lane));
    if (best === Number.POSITIVE_INFINITY) return pickAmong(lanes, () => true, context);
    return pickAmong(lanes, (lane) => load(lane) <= best + SCORE_EPSILON, context);
  };
}

// src/strategies/least-latency.ts
var ttft = (lane) => lane.ttftMs;
var perToken = (lane) => lane.msPerToken;
var whole = (lane) => lane.latencyMs;
function figureFor(kind, lanes) {
  if (kind === "stream") return ttft;
  if (kind === "embeddings") return whole;
  for (const lane of lanes) if (lane.msPerToken !== void 0) return perToken;
  return whole;
}
function createLeastLatency(options = {}) {
  const interval = options.explorationInterval ?? 20;
  const tolerance = options.tieTolerance ?? 0.05;
  checkNumberOption("explorationInterval", interval, 1, { integer: true });
  checkNumberOption("tieTolerance", tolerance, 0);
  const states = /* @__PURE__ */ new Map();
  return (lanes, request, context) => {
    let state = states.get(request.model);
    if (state === void 0) {
      state = { count: 0, lastPick: /* @__PURE__ */ new Map() };
      states.set(request.model, state);
    }
    const { count, lastPick } = state;
    for (const lane of lanes) if (!lastPick.has(lane.id)) lastPick.set(lane.id, count);
    const starvation = (lane) => count - (lastPick.get(lane.id) ?? count);
    const figure = figureFor(request.kind, lanes);
    const mostStarved = (eligible) => {
      let max = -1;
      for (const lane of lanes) if (eligible(lane)) max = Math.max(max, starvation(lane));
      if (max < 0) return void 0;
      return pickAmong(lanes, (lane) => eligible(lane) && starvation(lane) === max, context);
    };
    let chosen = mostStarved((lane) => figure(lane) === void 0) ?? mostStarved((lane) => starvation(lane) >= interval - 1);
    if (chosen === void 0) {
      const rank = (lane) => {
        const value = figure(lane);
        return value === void 0 || Number.isNaN(value) ? Number.POSITIVE_INFINITY : value;
      };
      let best = Number.POSITIVE_INFINITY;
      for (const lane of lanes) best = Math.min(best, rank(lane));
      const limit = best * (1 + tolerance);
      chosen = pickAmong(lanes, (lane) => rank(lane) <= limit, context);
    }
    if (chosen === void 0) return void 0;
    state.count = count + 1;
    lastPick.set(chosen, state.count);
    return chosen;
  };
}

// src/strategies/priority.ts
function createPriority(options = {}) {
  const within = options.within ?? createLeastBusy();
  return (lanes, request, context) => {
    let best = Number.POSITIVE_INFINITY;
    let mixed = false;
    for (const lane of lanes) {
      if (best !== Number.POSITIVE_INFINITY && lane.priority !== best) mixed = true;
      best = Math.min(best, lane.priority);
    }
    const tier = mixed ? lanes.filter((lane) => lane.priority === best) : lanes;
    return within(tier.length > 0 ? tier : lanes, request, context);
  };
}

// src/strategies/round-robin.ts
function createRoundRobin() {
  const lastIndexByModel = /* @__PURE__ */ new Map();
  return (lanes, request) => {
    const last = lastIndexByModel.get(request.model) ?? -1;
    let next;
    let lowest;
    for (const lane of lanes) {
      if (lowest === void 0 || lane.index < lowest.index) lowest = lane;
      if (lane.index > last && (next === void 0 || lane.index < next.index)) next = lane;
    }
    const chosen = next ?? lowest;
    if (chosen === void 0) return void 0;
    lastIndexByModel.set(request.model, chosen.index);
    return chosen.id;
  };
}

// src/strategies/usage-based.ts
function budgetHeadroom(budget2, take) {
  if (budget2.limit === void 0 || !Number.isFinite(budget2.capacity) || budget2.capacity <= 0) return 1;
  return (budget2.remaining - take) / budget2.capacity;
}
function usageHeadroom(lane, request) {
  const requests = budgetHeadroom(lane.rpm, 0);
  const tokens = budgetHeadroom(lane.tpm, request.tokens);
  const slots = Number.isFinite(lane.concurrency) && lane.concurrency > 0 ? (lane.concurrency - lane.inflight) / lane.concurrency : 1;
  return Math.min(requests, tokens, slots);
}
function createUsageBased() {
  return (lanes, request, context) => {
    let best = Number.NEGATIVE_INFINITY;
    for (const lane of lanes) best = Math.max(best, usageHeadroom(lane, request));
    if (Number.isNaN(best)) return pickAmong(lanes, () => true, context);
    return pickAmong(lanes, (lane) => usageHeadroom(lane, request) >= best - SCORE_EPSILON, context);
  };
}

// src/strategies/weighted.ts
function weightOf(lane) {
  return Number.isFinite(lane.weight) && lane.weight > 0 ? lane.weight : 0;
}
function createWeighted() {
  const currentByModel = /* @__PURE__ */ new Map();
  return (lanes, request) => {
    let current = currentByModel.get(request.model);
    if (current === void 0) {
      current = /* @__PURE__ */ new Map();
      currentByModel.set(request.model, current);
    }
    let hasPositive = false;
    for (const lane of lanes) {
      if (weightOf(lane) > 0) {
        hasPositive = true;
        break;
      }
    }
    const effective = hasPositive ? weightOf : () => 1;
    let total = 0;
    let winner;
    let winnerWeight = Number.NEGATIVE_INFINITY;
    for (const lane of lanes) {
      const weight = effective(lane);
      if (weight <= 0) continue;
      total += weight;
      const updated = (current.get(lane.id) ?? 0) + weight;
      current.set(lane.id, updated);
      if (updated > winnerWeight || updated === winnerWeight && winner !== void 0 && lane.index < winner.index) {
        winner = lane;
        winnerWeight = updated;
      }
    }
    if (winner === void 0) return void 0;
    current.set(winner.id, winnerWeight - total);
    return winner.id;
  };
}

// src/strategies/index.ts
var strategyNames = Object.freeze([
  "round-robin",
  "least-busy",
  "least-latency",
  "usage-based",
  "weighted",
  "priority"
]);
function createStrategy(name, options = {}) {
  switch (name) {
    case "round-robin":
      return createRoundRobin();
    case "least-busy":
      return createLeastBusy(options);
    case "least-latency":
      return createLeastLatency(options);
    case "usage-based":
      return createUsageBased();
    case "weighted":
      return createWeighted();
    case "priority": {
      const within = options.within ?? "least-busy";
      if (within === "priority") {
        throw new RangeError('Expected `within` to name a strategy other than "priority", got "priority".');
      }
      return createPriority({
        within: typeof within === "function" ? within : createStrategy(within, options)
      });
    }
    default:
      throw new RangeError(
        `Expected \`strategy\` to be one of ${strategyNames.join(", ")}, got ${JSON.stringify(name)}.`
      );
  }
}

// src/config.ts
var DEFAULT_AZURE_API_VERSION = "2024-10-21";
var positive = z.number().finite().positive();
var nonNegativeInt = z.number().int().nonnegative();
var limitsSchema = z.strictObject({
  rpm: positive.optional(),
  tpm: positive.optional(),
  concurrency: z.number().int().positive().optional()
});
var common = {
  name: z.string().min(1, "must be a non-empty string"),
  limits: limitsSchema.optional(),
  weight: z.number().finite().nonnegative().default(1),
  priority: z.number().int().default(0),
  headers: z.record(z.string(), z.string()).optional()
};
var azureEndpointSchema = z.strictObject({
  ...common,
  type: z.literal("azure"),
  endpoint: z.url({ protocol: /^https?$/ }),
  apiKey: z.string().min(1).optional(),
  azureADTokenProvider: z.custom((v) => typeof v === "function", "must be a function returning a token").optional(),
  apiVersion: z.string().min(1).default(DEFAULT_AZURE_API_VERSION),
  deployments: z.record(z.string().min(1), z.string().min(1)).refine((d) => Object.keys(d).length > 0, "must map at least one model to a deployment")
}).superRefine((e, ctx) => {
  if (e.apiKey === void 0 && e.azureADTokenProvider === void 0) {
    ctx.addIssue({ code: "custom", path: ["apiKey"], message: "set apiKey or azureADTokenProvider" });
  }
  if (e.apiKey !== void 0 && e.azureADTokenProvider !== void 0) {
    ctx.addIssue({
      code: "custom",
      path: ["azureADTokenProvider"],
      message: "set either apiKey or azureADTokenProvider, not both"
    });
  }
});
var openaiEndpointSchema = z.strictObject({
  ...common,
  type: z.literal("openai"),
  apiKey: z.string().min(1),
  baseURL: z.url({ protocol: /^https?$/ }).optional(),
  organization: z.string().min(1).optional(),
  project: z.string().min(1).optional(),
  models: z.array(z.string().min(1)).min(1, "must list at least one model")
});
var schedulerSchema = z.custom(
  (v) => typeof v === "object" && v !== null && typeof v.schedule === "function",
  "must be an RxJS SchedulerLike"
);
var routerConfigSchema = z.strictObject({
  strategy: z.union([z.enum(strategyNames), z.custom((v) => typeof v === "function")], {
    error: `must be one of ${strategyNames.join(", ")} or a Strategy function`
  }).default("least-latency"),
  priorityWithin: z.enum(strategyNames).exclude(["priority"]).default("least-busy"),
  endpoints: z.array(z.discriminatedUnion("type", [azureEndpointSchema, openaiEndpointSchema])).min(1),
  queue: z.strictObject({
    maxSize: z.number().int().positive().default(1e4),
    agingMs: positive.default(1e4)
  }).default({ maxSize: 1e4, agingMs: 1e4 }),
  timeoutMs: positive.default(6e5),
  attemptTimeoutMs: positive.default(12e4),
  firstTokenTimeoutMs: positive.default(6e4),
  defaultOutputTokens: z.number().int().positive().default(1e3),
  maxRetryAfterMs: positive.default(6e4),
  retry: z.strictObject({
    maxAttempts: z.number().int().positive().default(5),
    baseDelayMs: z.number().finite().nonnegative().default(100),
    maxDelayMs: positive.default(8e3)
  }).default({ maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 8e3 }),
  breaker: z.strictObject({
    consecutiveFailures: z.number().int().positive().default(5),
    failureRatio: z.number().gt(0).lte(1).default(0.5),
    window: z.number().int().positive().default(20),
    minCalls: z.number().int().positive().default(10),
    cooldownMs: positive.default(15e3),
    disabledProbeMs: positive.default(3e5)
  }).default({
    consecutiveFailures: 5,
    failureRatio: 0.5,
    window: 20,
    minCalls: 10,
    cooldownMs: 15e3,
    disabledProbeMs: 3e5
  }),
  fallbacks: z.record(z.string().min(1), z.array(z.string().min(1))).default({}),
  lanes: z.strictObject({ engine: z.enum(["native", "bottleneck"]).default("native") }).default({ engine: "native" }),
  latency: z.strictObject({
    halfLifeMs: positive.default(1e4),
    explorationInterval: z.number().int().positive().default(20),
    minAlpha: z.number().gt(0).lte(1).default(0.3),
    failurePenaltyMs: nonNegativeInt.default(2e3)
  }).default({ halfLifeMs: 1e4, minAlpha: 0.3, explorationInterval: 20, failurePenaltyMs: 2e3 }),
  metricsIntervalMs: positive.default(500),
  scheduler: schedulerSchema.optional(),
  rng: z.custom((v) => typeof v === "function", "must be a function").optional(),
  fetch: z.custom((v) => typeof v === "function", "must be a fetch function").optional()
});
function parseConfig(input) {
  const result = routerConfigSchema.safeParse(input);
  const issues = result.success ? [] : result.error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
  issues.push(...crossFieldIssues(input));
  if (issues.length > 0 || !result.success) throw new ConfigError(issues);
  return result.data;
}
function crossFieldIssues(input) {
  const issues = [];
  if (typeof input !== "object" || input === null) return issues;
  const { endpoints, fallbacks } = input;
  if (!Array.isArray(endpoints)) return issues;
  const seen = /* @__PURE__ */ new Map();
  const served = /* @__PURE__ */ new Set();
  endpoints.forEach((e, i) => {
    if (typeof e !== "object" || e === null) return;
    const { name, deployments, models } = e;
    if (typeof name === "string") {
      const first = seen.get(name);
      if (first !== void 0) {
        issues.push({
          path: `endpoints.${i}.name`,
          message: `duplicate endpoint name (also endpoints.${first}.name)`
        });
      } else seen.set(name, i);
    }
    if (typeof deployments === "object" && deployments !== null) for (const m of Object.keys(deployments)) served.add(m);
    if (Array.isArray(models)) {
      for (const m of models) if (typeof m === "string") served.add(m);
    }
  });
  if (typeof fallbacks === "object" && fallbacks !== null) {
    for (const [model, chain] of Object.entries(fallbacks)) {
      if (!Array.isArray(chain)) continue;
      chain.forEach((fb, i) => {
        if (typeof fb === "string" && !served.has(fb)) {
          issues.push({ path: `fallbacks.${model}.${i}`, message: "fallback model is served by no endpoint" });
        }
      });
    }
  }
  return issues;
}
function modelsOf(endpoint) {
  return endpoint.type === "azure" ? Object.keys(endpoint.deployments) : [...endpoint.models];
}

// src/dispatch/chat-stream.ts
var ChatStream = class {
  /** @internal built by the router once the first content chunk arrived */
  constructor(buffered, upstream, controller, includeUsage, onEnd, wrapError) {
    this.buffered = buffered;
    this.upstream = upstream;
    this.includeUsage = includeUsage;
    this.onEnd = onEnd;
    this.wrapError = wrapError;
    this.controller = controller;
  }
  buffered;
  upstream;
  includeUsage;
  onEnd;
  wrapError;
  /** Aborting it stops the upstream request and ends the iteration. */
  controller;
  consumed = false;
  ended = false;
  usage;
  delivered = 0;
  /** Stops the stream (the same as `controller.abort()`). */
  abort() {
    this.controller.abort();
  }
  async *[Symbol.asyncIterator]() {
    if (this.consumed) {
      throw new Error("Cannot iterate over a consumed stream, use `.tee()` on the SDK stream or call the router again.");
    }
    this.consumed = true;
    let finished = false;
    try {
      for (const chunk of this.buffered.splice(0)) {
        const out = this.filter(chunk);
        if (out) yield out;
      }
      for (; ; ) {
        let result;
        try {
          result = await this.upstream.next();
        } catch (error) {
          finished = true;
          if (isAbortError(error)) {
            this.end({ kind: "stopped", usage: this.usage });
            return;
          }
          this.end({ kind: "error", error, usage: this.usage });
          throw this.wrapError(error, this.delivered);
        }
        if (result.done) break;
        const out = this.filter(result.value);
        if (out) yield out;
      }
      finished = true;
      this.end(this.controller.signal.aborted ? { kind: "stopped", usage: this.usage } : { kind: "done", usage: this.usage });
    } finally {
      if (!finished) {
        this.controller.abort();
        void this.upstream.return?.().catch(() => void 0);
        this.end({ kind: "stopped", usage: this.usage });
      }
    }
  }
  /** Ends the stream without iterating it (frees the slot). */
  async cancel() {
    if (this.ended) return;
    this.controller.abort();
    await this.upstream.return?.().catch(() => void 0);
    this.end({ kind: "stopped", usage: this.usage });
  }
  end(end) {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(end);
  }
  /** Records usage; hides the usage chunk the router asked for when the caller did not. */
  filter(chunk) {
    if (chunk.usage) this.usage = chunk.usage;
    this.delivered += 1;
    if (this.includeUsage) return chunk;
    if (chunk.usage && chunk.choices.length === 0) return void 0;
    if ("usage" in chunk) {
      const { usage: _usage, ...rest } = chunk;
      return rest;
    }
    return chunk;
  }
};
function hasOutput(chunk) {
  for (const choice of chunk.choices) {
    if (choice.finish_reason) return true;
    const delta = choice.delta;
    if (delta?.content || delta?.tool_calls?.length || delta?.refusal) return true;
  }
  return false;
}
function isAbortError(error) {
  const name = error?.name;
  return name === "AbortError" || name === "APIUserAbortError";
}

// src/dispatch/transport.ts
var sdkTransport = async (call) => {
  const { client, signal, timeout } = call.common;
  const options = { signal, timeout };
  switch (call.kind) {
    case "chat": {
      const { data, response } = await client.chat.completions.create(call.body, options).withResponse();
      return { kind: "chat", data, headers: response.headers };
    }
    case "embeddings": {
      const { data, response } = await client.embeddings.create(call.body, options).withResponse();
      return { kind: "embeddings", data, headers: response.headers };
    }
    case "stream": {
      const { data, response } = await client.chat.completions.create(call.body, options).withResponse();
      return { kind: "stream", data, headers: response.headers };
    }
  }
};

// src/limits/token-bucket.ts
var TokenBucket = class {
  tokens;
  last;
  ratePerMs;
  cap;
  /**
   * @param capacity the largest burst (bucket size)
   * @param perMinute refill rate per minute
   * @param now current time in ms
   */
  constructor(capacity, perMinute, now) {
    this.cap = capacity;
    this.ratePerMs = perMinute / 6e4;
    this.tokens = capacity;
    this.last = now;
  }
  get capacity() {
    return this.cap;
  }
  get perMinute() {
    return this.ratePerMs * 6e4;
  }
  /** Tokens available at `now`. */
  available(now) {
    this.refill(now);
    return this.tokens;
  }
  /** Takes `n` tokens if they are all there; never goes negative. */
  tryTake(n2, now) {
    this.refill(now);
    if (this.tokens + 1e-9 < n2) return false;
    this.tokens -= n2;
    return true;
  }
  /** Puts back `n` tokens (a charge for a call that never reached the service). */
  giveBack(n2, now) {
    this.refill(now);
    this.tokens = Math.min(this.cap, this.tokens + n2);
  }
  /** Empties the bucket down to `n` (used when the service reports fewer remaining than we think). */
  clampTo(n2, now) {
    this.refill(now);
    if (n2 < this.tokens) this.tokens = Math.max(0, n2);
  }
  /** Milliseconds until `n` tokens are available; `Infinity` when `n` exceeds the capacity. */
  msUntil(n2, now) {
    this.refill(now);
    if (n2 > this.cap) return Number.POSITIVE_INFINITY;
    if (this.tokens >= n2) return 0;
    return Math.ceil((n2 - this.tokens) / this.ratePerMs);
  }
  /** Milliseconds until the bucket is full again (the `x-ratelimit-reset-*` meaning). */
  msUntilFull(now) {
    return this.msUntil(this.cap, now);
  }
  /** Changes the limit, keeping the fill ratio (a learned or recalibrated limit). */
  reconfigure(capacity, perMinute, now) {
    this.refill(now);
    const ratio = this.cap > 0 ? this.tokens / this.cap : 1;
    this.cap = capacity;
    this.ratePerMs = perMinute / 6e4;
    this.tokens = Math.min(capacity, ratio * capacity);
  }
  refill(now) {
    if (now > this.last) {
      this.tokens = Math.min(this.cap, this.tokens + (now - this.last) * this.ratePerMs);
      this.last = now;
    }
  }
};
function requestBucketCapacity(rpm) {
  return Math.max(1, rpm / 6);
}

// src/limits/budget-store.ts
var UNLIMITED = {
  limit: void 0,
  remaining: Number.POSITIVE_INFINITY,
  capacity: Number.POSITIVE_INFINITY
};
var InMemoryBudgetStore = class {
  lanes = /* @__PURE__ */ new Map();
  register(lane, limits, now) {
    this.lanes.set(lane, {
      requests: limits.rpm ? new TokenBucket(requestBucketCapacity(limits.rpm), limits.rpm, now) : void 0,
      tokens: limits.tpm ? new TokenBucket(limits.tpm, limits.tpm, now) : void 0,
      requestsCharged: 0,
      tokensCharged: 0,
      coolingUntil: 0,
      outstanding: 0
    });
  }
  reserve(lane, tokens, now) {
    const b = this.get(lane);
    if (b.coolingUntil > now) return void 0;
    if (b.requests && b.requests.available(now) < 1 - 1e-9) return void 0;
    if (b.tokens && !b.tokens.tryTake(tokens, now)) return void 0;
    b.requests?.tryTake(1, now);
    b.requestsCharged += 1;
    b.tokensCharged += tokens;
    b.outstanding += 1;
    return { lane, tokens, at: now, requestsCharged: b.requestsCharged, tokensCharged: b.tokensCharged };
  }
  msUntilAvailable(lane, tokens, now) {
    const b = this.get(lane);
    const cooling = Math.max(0, b.coolingUntil - now);
    const requests = b.requests ? b.requests.msUntil(1, now) : 0;
    const tokenWait = b.tokens ? b.tokens.msUntil(tokens, now) : 0;
    return Math.max(cooling, requests, tokenWait);
  }
  commit(reservation) {
    this.get(reservation.lane).outstanding -= 1;
  }
  refund(reservation, now) {
    const b = this.get(reservation.lane);
    b.outstanding -= 1;
    b.requestsCharged -= 1;
    b.tokensCharged -= reservation.tokens;
    b.requests?.giveBack(1, now);
    b.tokens?.giveBack(reservation.tokens, now);
  }
  cool(lane, until, drain, now) {
    const b = this.get(lane);
    b.coolingUntil = Math.max(b.coolingUntil, until);
    if (drain === "requests" || drain === "both") b.requests?.clampTo(0, now);
    if (drain === "tokens" || drain === "both") b.tokens?.clampTo(0, now);
  }
  coolingUntil(lane) {
    return this.get(lane).coolingUntil;
  }
  calibrate(lane, report, reservation, now) {
    const b = this.get(lane);
    let learned;
    const { requests, tokens } = report;
    if (requests.limit !== void 0 && requests.limit > 0) {
      if (!b.requests) {
        b.requests = new TokenBucket(requestBucketCapacity(requests.limit), requests.limit, now);
        learned = { ...learned, rpm: requests.limit };
      } else if (Math.abs(b.requests.perMinute - requests.limit) > 1e-6) {
        b.requests.reconfigure(requestBucketCapacity(requests.limit), requests.limit, now);
        learned = { ...learned, rpm: requests.limit };
      }
    }
    if (tokens.limit !== void 0 && tokens.limit > 0) {
      if (!b.tokens) {
        b.tokens = new TokenBucket(tokens.limit, tokens.limit, now);
        learned = { ...learned, tpm: tokens.limit };
      } else if (Math.abs(b.tokens.perMinute - tokens.limit) > 1e-6) {
        b.tokens.reconfigure(tokens.limit, tokens.limit, now);
        learned = { ...learned, tpm: tokens.limit };
      }
    }
    if (reservation) {
      const elapsed = Math.max(0, now - reservation.at);
      if (requests.remaining !== void 0 && b.requests) {
        const since = b.requestsCharged - reservation.requestsCharged;
        b.requests.clampTo(requests.remaining + elapsed * b.requests.perMinute / 6e4 - since, now);
      }
      if (tokens.remaining !== void 0 && b.tokens) {
        const since = b.tokensCharged - reservation.tokensCharged;
        b.tokens.clampTo(tokens.remaining + elapsed * b.tokens.perMinute / 6e4 - since, now);
      }
    }
    return learned;
  }
  view(lane, now) {
    const b = this.get(lane);
    return {
      rpm: b.requests ? bucketView(b.requests, now) : UNLIMITED,
      tpm: b.tokens ? bucketView(b.tokens, now) : UNLIMITED,
      coolingUntil: b.coolingUntil > now ? b.coolingUntil : 0,
      outstanding: b.outstanding
    };
  }
  get(lane) {
    const b = this.lanes.get(lane);
    if (!b) throw new Error(`budget store: unknown lane "${lane}"`);
    return b;
  }
};
function bucketView(bucket, now) {
  return { limit: bucket.perMinute, remaining: bucket.available(now), capacity: bucket.capacity };
}

// src/limits/go-duration.ts
var UNIT_MS = Object.freeze({
  ns: 1e-6,
  us: 1e-3,
  \u00B5s: 1e-3,
  \u03BCs: 1e-3,
  ms: 1,
  s: 1e3,
  m: 6e4,
  h: 36e5
});
var NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`;
var UNIT = "(?:ns|us|\xB5s|\u03BCs|ms|s|m|h)";
var WHOLE = new RegExp(`^(?:${NUMBER}${UNIT})+$`);
var BARE_SECONDS = new RegExp(`^${NUMBER}$`);
var PART = new RegExp(`(${NUMBER})(${UNIT})`, "g");
function parseGoDuration(text) {
  const s = text.trim();
  if (s === "") return void 0;
  if (BARE_SECONDS.test(s)) return Number(s) * 1e3;
  if (!WHOLE.test(s)) return void 0;
  let ms = 0;
  for (const [, value, unit] of s.matchAll(PART)) ms += Number(value) * (UNIT_MS[unit ?? ""] ?? Number.NaN);
  return Number.isFinite(ms) ? ms : void 0;
}

// src/limits/rate-limit-headers.ts
function headerReader(headers) {
  if (typeof headers.get === "function") {
    const h = headers;
    return (name) => h.get(name) ?? void 0;
  }
  const lowered = /* @__PURE__ */ new Map();
  for (const [key, value] of Object.entries(headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === "string") lowered.set(key.toLowerCase(), first);
  }
  return (name) => lowered.get(name);
}
var COUNT = /^\d+(?:\.\d+)?$/;
function parseCount(text) {
  if (text === void 0) return void 0;
  const s = text.trim();
  return COUNT.test(s) ? Number(s) : void 0;
}
function readWindow(get, kind) {
  const window = {};
  const limit = parseCount(get(`x-ratelimit-limit-${kind}`));
  const remaining = parseCount(get(`x-ratelimit-remaining-${kind}`));
  const reset = get(`x-ratelimit-reset-${kind}`);
  const resetMs = reset === void 0 ? void 0 : parseGoDuration(reset);
  if (limit !== void 0) window.limit = limit;
  if (remaining !== void 0) window.remaining = remaining;
  if (resetMs !== void 0) window.resetMs = resetMs;
  return window;
}
function parseRateLimitHeaders(headers) {
  const get = headerReader(headers);
  return { requests: readWindow(get, "requests"), tokens: readWindow(get, "tokens") };
}
var NON_NEGATIVE = /^\+?(?:\d+(?:\.\d*)?|\.\d+)$/;
function parseNonNegative(text) {
  if (text === void 0) return void 0;
  const s = text.trim();
  return NON_NEGATIVE.test(s) ? Number(s) : void 0;
}
var AZURE_RETRY = /retry after (\d+(?:\.\d+)?) seconds?/i;
var OPENAI_RETRY = /try again in (\d+(?:\.\d+)?)(ms|s)\b/i;
function messageOf(body) {
  if (typeof body === "string") return body;
  if (typeof body !== "object" || body === null) return void 0;
  const { error, message } = body;
  if (typeof error === "object" && error !== null) {
    const inner = error.message;
    if (typeof inner === "string") return inner;
  }
  return typeof message === "string" ? message : void 0;
}
function parseRetryAfterMs(headers, body, now) {
  if (headers !== void 0) {
    const get = headerReader(headers);
    const ms = parseNonNegative(get("retry-after-ms"));
    if (ms !== void 0) return ms;
    const after = get("retry-after");
    if (after !== void 0) {
      const seconds = parseNonNegative(after);
      if (seconds !== void 0) return seconds * 1e3;
      if (now !== void 0 && /[a-z]/i.test(after)) {
        const at = Date.parse(after);
        if (Number.isFinite(at)) return Math.max(0, at - now);
      }
    }
  }
  const message = messageOf(body);
  if (message === void 0) return void 0;
  const azure = AZURE_RETRY.exec(message);
  if (azure?.[1] !== void 0) return Number(azure[1]) * 1e3;
  const openai = OPENAI_RETRY.exec(message);
  if (openai?.[1] !== void 0) return Number(openai[1]) * (openai[2]?.toLowerCase() === "ms" ? 1 : 1e3);
  return void 0;
}

// src/limits/token-estimate.ts
import { countTokens } from "gpt-tokenizer";
var TOKENS_PER_MESSAGE = 3;
var TOKENS_PER_NAME = 1;
var REPLY_PRIMING_TOKENS = 3;
var IMAGE_BASE_TOKENS = 85;
var IMAGE_TILE_TOKENS = 170;
function outputCap(body, defaultOutputTokens) {
  return (body.max_completion_tokens ?? body.max_tokens ?? defaultOutputTokens) * (body.n ?? 1);
}
function highDetailImageTokens(width, height) {
  let w2 = width;
  let h = height;
  if (w2 > 2048 || h > 2048) {
    const scale = 2048 / Math.max(w2, h);
    w2 = Math.floor(w2 * scale);
    h = Math.floor(h * scale);
  }
  if (Math.min(w2, h) > 768) {
    const scale = 768 / Math.min(w2, h);
    w2 = Math.floor(w2 * scale);
    h = Math.floor(h * scale);
  }
  return IMAGE_BASE_TOKENS + IMAGE_TILE_TOKENS * Math.ceil(w2 / 512) * Math.ceil(h / 512);
}
var UNKNOWN_IMAGE_TOKENS = highDetailImageTokens(1024, 1024);
function dataUrlImageSize(url) {
  if (!url.startsWith("data:")) return void 0;
  const comma = url.indexOf("base64,");
  if (comma < 0 || comma > 100) return void 0;
  const head = Buffer.from(url.slice(comma + 7, comma + 7 + 32), "base64");
  if (head.length >= 24 && head.readUInt32BE(0) === 2303741511 && head.toString("latin1", 12, 16) === "IHDR") {
    return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
  }
  if (head.length >= 10 && head.toString("latin1", 0, 4) === "GIF8") {
    return { width: head.readUInt16LE(6), height: head.readUInt16LE(8) };
  }
  return void 0;
}
function imageTokens(imageUrl) {
  if (imageUrl.detail === "low") return IMAGE_BASE_TOKENS;
  const size = dataUrlImageSize(imageUrl.url);
  return size === void 0 ? UNKNOWN_IMAGE_TOKENS : highDetailImageTokens(size.width, size.height);
}
function checkCount(name, value) {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`Expected \`${name}\` to be an integer \u2265 0, got ${String(value)}.`);
  }
}
function createTokenEstimator(options = {}) {
  const {
    cacheSize = 2048,
    maxCachedLength = 16384,
    maxCachedChars = 2e6,
    defaultOutputTokens = 1024,
    toolCallOverhead = 3,
    toolDefinitionOverhead = 8
  } = options;
  checkCount("cacheSize", cacheSize);
  checkCount("maxCachedLength", maxCachedLength);
  checkCount("maxCachedChars", maxCachedChars);
  checkCount("defaultOutputTokens", defaultOutputTokens);
  checkCount("toolCallOverhead", toolCallOverhead);
  checkCount("toolDefinitionOverhead", toolDefinitionOverhead);
  const encodeOptions = { disallowedSpecial: /* @__PURE__ */ new Set() };
  const count = (text) => text.length === 0 ? 0 : countTokens(text, encodeOptions);
  const cache = /* @__PURE__ */ new Map();
  let cachedChars = 0;
  const countText = (text) => {
    const hit = cache.get(text);
    if (hit !== void 0) {
      cache.delete(text);
      cache.set(text, hit);
      return hit;
    }
    const tokens = count(text);
    if (cacheSize > 0 && text.length <= maxCachedLength && text.length <= maxCachedChars) {
      cache.set(text, tokens);
      cachedChars += text.length;
      while (cache.size > cacheSize || cachedChars > maxCachedChars) {
        const oldest = cache.keys().next().value;
        if (oldest === void 0) break;
        cache.delete(oldest);
        cachedChars -= oldest.length;
      }
    }
    return tokens;
  };
  const contentTokens = (content) => {
    if (content == null) return 0;
    if (typeof content === "string") return countText(content);
    let tokens = 0;
    for (const part of content) {
      switch (part.type) {
        case "text":
          tokens += countText(part.text);
          break;
        case "refusal":
          tokens += countText(part.refusal);
          break;
        case "image_url":
          tokens += imageTokens(part.image_url);
          break;
        default:
          break;
      }
    }
    return tokens;
  };
  const toolCallTokens = (call) => call.type === "function" ? countText(call.function.name) + countText(call.function.arguments) + toolCallOverhead : countText(call.custom.name) + countText(call.custom.input) + toolCallOverhead;
  const messageTokens = (message) => {
    let tokens = TOKENS_PER_MESSAGE + countText(message.role) + contentTokens(message.content);
    if ("name" in message && typeof message.name === "string") {
      tokens += countText(message.name) + TOKENS_PER_NAME;
    }
    if (message.role === "assistant") {
      if (typeof message.refusal === "string") tokens += countText(message.refusal);
      if (message.tool_calls) for (const call of message.tool_calls) tokens += toolCallTokens(call);
      if (message.function_call) {
        tokens += countText(message.function_call.name) + countText(message.function_call.arguments) + toolCallOverhead;
      }
    }
    return tokens;
  };
  const definitionTokens = (name, description, schema) => countText(name) + (description ? countText(description) : 0) + (schema === void 0 ? 0 : countText(JSON.stringify(schema))) + toolDefinitionOverhead;
  const toolTokens = (tool) => tool.type === "function" ? definitionTokens(tool.function.name, tool.function.description, tool.function.parameters) : definitionTokens(tool.custom.name, tool.custom.description, tool.custom.format);
  const estimatePromptTokens = (body) => {
    let tokens = REPLY_PRIMING_TOKENS;
    for (const message of body.messages) tokens += messageTokens(message);
    if (body.tools) for (const tool of body.tools) tokens += toolTokens(tool);
    if (body.functions) {
      for (const fn of body.functions) tokens += definitionTokens(fn.name, fn.description, fn.parameters);
    }
    const format = body.response_format;
    if (format?.type === "json_schema") {
      tokens += countText(format.json_schema.name);
      if (format.json_schema.schema) tokens += countText(JSON.stringify(format.json_schema.schema));
    }
    return tokens;
  };
  const estimateEmbeddingTokens = (body) => {
    const { input } = body;
    if (typeof input === "string") return count(input);
    let tokens = 0;
    for (const item of input) {
      if (typeof item === "string") tokens += count(item);
      else if (typeof item === "number") tokens += 1;
      else tokens += item.length;
    }
    return tokens;
  };
  return {
    countText,
    estimatePromptTokens,
    outputCap: (body) => outputCap(body, defaultOutputTokens),
    estimateChatTokens: (body) => estimatePromptTokens(body) + outputCap(body, defaultOutputTokens),
    estimateEmbeddingTokens,
    get cacheEntries() {
      return cache.size;
    }
  };
}

// src/router.ts
import {
  asyncScheduler,
  defer,
  map,
  Observable as Observable2,
  ReplaySubject,
  Subject as Subject2,
  shareReplay,
  takeUntil,
  timer
} from "rxjs";

// src/dispatch/bottleneck-gate.ts
import { createRequire } from "node:module";
function loadBottleneck() {
  for (const base of [`${process.cwd()}/package.json`, import.meta.url]) {
    try {
      const mod = createRequire(base)("bottleneck");
      return "default" in mod && typeof mod.default === "function" ? mod.default : mod;
    } catch {
    }
  }
  throw new ConfigError([
    { path: "lanes.engine", message: 'engine "bottleneck" needs the bottleneck package: npm i bottleneck' }
  ]);
}
function createBottleneckGate(limit, Ctor) {
  const limiter = new Ctor({ maxConcurrent: Number.isFinite(limit) ? limit : null });
  let inflight = 0;
  return {
    limit,
    get inflight() {
      return inflight;
    },
    tryAcquire() {
      if (inflight >= limit) return void 0;
      inflight += 1;
      let released = false;
      let finishJob;
      const ready = new Promise((resolveReady, rejectReady) => {
        limiter.schedule(
          () => new Promise((done) => {
            if (released) return done();
            finishJob = done;
            resolveReady();
          })
        ).catch(rejectReady);
      });
      ready.catch(() => void 0);
      return {
        ready,
        release() {
          if (released) return;
          released = true;
          inflight -= 1;
          finishJob?.();
        }
      };
    },
    async close() {
      await limiter.stop({ dropWaitingJobs: false });
    }
  };
}

// src/dispatch/lane.ts
import { AzureOpenAI, OpenAI } from "openai";
import { Subject } from "rxjs";

// src/metrics/ewma.ts
var Ewma = class {
  halfLifeMs;
  minAlpha;
  current;
  lastAt = Number.NEGATIVE_INFINITY;
  count = 0;
  /** @throws RangeError when `halfLifeMs` is not positive or `minAlpha` is outside [0, 1]. */
  constructor(options) {
    const { halfLifeMs, minAlpha = 0.2 } = options;
    if (!(halfLifeMs > 0) || !Number.isFinite(halfLifeMs)) {
      throw new RangeError(`Expected \`halfLifeMs\` to be a finite number > 0, got ${String(halfLifeMs)}.`);
    }
    if (!(minAlpha >= 0 && minAlpha <= 1)) {
      throw new RangeError(`Expected \`minAlpha\` to be a number in [0, 1], got ${String(minAlpha)}.`);
    }
    this.halfLifeMs = halfLifeMs;
    this.minAlpha = minAlpha;
  }
  /** Adds a sample observed at `now` (ms). Non-finite samples are ignored so one bad reading cannot poison the figure. */
  update(sample, now) {
    if (!Number.isFinite(sample)) return;
    this.count++;
    if (this.current === void 0) {
      this.current = sample;
      this.lastAt = now;
      return;
    }
    const dt = Math.max(0, now - this.lastAt);
    const alpha = Math.max(this.minAlpha, 1 - 2 ** (-dt / this.halfLifeMs));
    this.current += alpha * (sample - this.current);
    if (now > this.lastAt) this.lastAt = now;
  }
  /** The current average; `undefined` until the first sample. */
  get value() {
    return this.current;
  }
  /** Number of samples taken into account. */
  get samples() {
    return this.count;
  }
};

// src/metrics/rate-meter.ts
var RateMeter = class {
  /** @param windowSeconds how far back the meter looks @default 60 */
  constructor(windowSeconds = 60) {
    this.windowSeconds = windowSeconds;
    this.buckets = new Float64Array(windowSeconds);
    this.stamps = new Float64Array(windowSeconds).fill(-1);
  }
  windowSeconds;
  buckets;
  stamps;
  add(amount, now) {
    const second = Math.floor(now / 1e3);
    const i = second % this.windowSeconds;
    if (this.stamps[i] !== second) {
      this.stamps[i] = second;
      this.buckets[i] = 0;
    }
    this.buckets[i] = (this.buckets[i] ?? 0) + amount;
  }
  /** Sum over the last `seconds` complete-or-current seconds. */
  sum(now, seconds = this.windowSeconds) {
    const current = Math.floor(now / 1e3);
    const span = Math.min(seconds, this.windowSeconds);
    let total = 0;
    for (let k = 0; k < span; k++) {
      const second = current - k;
      const i = (second % this.windowSeconds + this.windowSeconds) % this.windowSeconds;
      if (this.stamps[i] === second) total += this.buckets[i] ?? 0;
    }
    return total;
  }
  /** Events per second averaged over the last `seconds` (default 5). */
  perSecond(now, seconds = 5) {
    return this.sum(now, seconds) / seconds;
  }
};

// src/resilience/circuit-breaker.ts
var CircuitBreaker = class {
  constructor(options) {
    this.options = options;
  }
  options;
  current = "closed";
  openUntil = 0;
  probing = false;
  consecutive = 0;
  outcomes = [];
  failuresInWindow = 0;
  /** The state at `now` (open turns half-open once its cool-down has passed). */
  state(now) {
    if (this.current === "open" && now >= this.openUntil) return "half-open";
    return this.current;
  }
  /** When an open breaker lets a probe through; 0 when not open. */
  get reopensAt() {
    return this.current === "open" ? this.openUntil : 0;
  }
  /** True when a call may start now. */
  canPass(now) {
    const s = this.state(now);
    return s === "closed" || s === "half-open" && !this.probing;
  }
  /** Records that a call started; in half-open it becomes the single probe. */
  onStart(now) {
    if (this.state(now) !== "half-open") return void 0;
    const transition = this.current === "open" ? "half-opened" : void 0;
    this.current = "half-open";
    this.probing = true;
    return transition;
  }
  /** A probe that ended without a verdict (e.g. aborted by the caller) frees the probe slot. */
  onNeutral() {
    this.probing = false;
  }
  /**
   * A success closes a half-open breaker (its probe came back). While open, a success can only be a
   * call that started before the breaker opened: it says nothing about the endpoint now, so it is ignored.
   */
  success() {
    if (this.current === "open") return void 0;
    this.consecutive = 0;
    this.record(true);
    if (this.current === "half-open") {
      this.current = "closed";
      this.probing = false;
      this.outcomes.length = 0;
      this.failuresInWindow = 0;
      return "closed";
    }
    return void 0;
  }
  failure(now) {
    this.consecutive += 1;
    this.record(false);
    if (this.current === "half-open") return this.trip(now, this.options.cooldownMs);
    if (this.current === "open") return void 0;
    const n2 = this.outcomes.length;
    const ratioTrips = n2 >= this.options.minCalls && this.failuresInWindow / n2 >= this.options.failureRatio;
    if (this.consecutive >= this.options.consecutiveFailures || ratioTrips) {
      return this.trip(now, this.options.cooldownMs);
    }
    return void 0;
  }
  /** Opens the breaker for `ms` whatever its state (a misconfigured endpoint is taken out). */
  trip(now, ms) {
    const was = this.current;
    this.current = "open";
    this.openUntil = now + ms;
    this.probing = false;
    this.consecutive = 0;
    return was === "open" ? void 0 : "opened";
  }
  record(ok) {
    this.outcomes.push(ok);
    if (!ok) this.failuresInWindow += 1;
    if (this.outcomes.length > this.options.window) {
      const dropped = this.outcomes.shift();
      if (dropped === false) this.failuresInWindow -= 1;
    }
  }
};

// src/dispatch/lane.ts
var Lane = class {
  constructor(endpoint, index, deps) {
    this.deps = deps;
    this.id = endpoint.name;
    this.index = index;
    this.type = endpoint.type;
    this.weight = endpoint.weight;
    this.priority = endpoint.priority;
    this.deployments = new Map(
      endpoint.type === "azure" ? Object.entries(endpoint.deployments) : endpoint.models.map((m) => [m, m])
    );
    this.client = createClient(endpoint, deps.config, deps.fetch);
    this.breaker = new CircuitBreaker(deps.config.breaker);
    const ewma = { halfLifeMs: deps.config.latency.halfLifeMs, minAlpha: deps.config.latency.minAlpha };
    this.msPerToken = new Ewma(ewma);
    this.ttft = new Ewma(ewma);
    this.latency = new Ewma(ewma);
    deps.store.register(this.id, { rpm: endpoint.limits?.rpm, tpm: endpoint.limits?.tpm }, deps.now());
  }
  deps;
  id;
  index;
  type;
  weight;
  priority;
  client;
  /** Emits whenever capacity may have been freed (a slot released, a probe finished). */
  changed$ = new Subject();
  counters = {
    attempts: 0,
    succeeded: 0,
    failed: 0,
    rateLimited: 0,
    promptTokens: 0,
    completionTokens: 0,
    peakInflight: 0,
    byStatus: {}
  };
  requestRate = new RateMeter();
  tokenRate = new RateMeter();
  deployments;
  disabledModels = /* @__PURE__ */ new Set();
  disabledReason;
  breaker;
  msPerToken;
  ttft;
  latency;
  /** The models this lane serves (including ones disabled after a 404). */
  get models() {
    return [...this.deployments.keys()];
  }
  get inflight() {
    return this.deps.gate.inflight;
  }
  /** True when this lane is configured for `model` and has not been told the deployment is missing. */
  serves(model) {
    return this.deployments.has(model) && !this.disabledModels.has(model);
  }
  /** The name to send as `model`: the deployment on Azure, the model itself on openai. */
  deploymentFor(model) {
    return this.deployments.get(model) ?? model;
  }
  /** Synchronous admission check: slot free, breaker passing, budget there, not cooling. */
  canAdmit(tokens, now) {
    const gate = this.deps.gate;
    return gate.inflight < gate.limit && this.breaker.canPass(now) && this.deps.store.msUntilAvailable(this.id, tokens, now) === 0;
  }
  /**
   * When this lane could next admit `tokens`, ignoring its concurrency (a freed slot is announced on
   * `changed$`): 0 = now; Infinity = not on its own (e.g. a probe in flight).
   */
  msUntilAdmissible(tokens, now) {
    const breakerWait = this.breaker.state(now) === "open" ? this.breaker.reopensAt - now : this.breaker.canPass(now) ? 0 : Number.POSITIVE_INFINITY;
    return Math.max(breakerWait, this.deps.store.msUntilAvailable(this.id, tokens, now));
  }
  /** Takes a slot and charges the budget, atomically; undefined (nothing taken) when it cannot. */
  admit(model, kind, tokens, now) {
    if (!this.breaker.canPass(now)) return void 0;
    const ticket = this.deps.gate.tryAcquire();
    if (!ticket) return void 0;
    const reservation = this.deps.store.reserve(this.id, tokens, now);
    if (!reservation) {
      ticket.release();
      return void 0;
    }
    const transition = this.breaker.onStart(now);
    if (transition) this.report(transition, now);
    const c = this.counters;
    c.attempts += 1;
    if (this.deps.gate.inflight > c.peakInflight) c.peakInflight = this.deps.gate.inflight;
    this.requestRate.add(1, now);
    return { lane: this, model, kind, ticket, reservation, startedAt: now, finished: false };
  }
  /** Ends an attempt: frees the slot, settles the budget, updates health and latency. Idempotent. */
  finish(admission, report) {
    if (admission.finished) return;
    admission.finished = true;
    const now = this.deps.now();
    const { store } = this.deps;
    const failure = report.failure;
    if (report.headers) this.calibrate(report.headers, admission.reservation, now);
    if (!failure) {
      store.commit(admission.reservation);
      this.onSuccess(admission, report, now);
    } else {
      const charged = failure.laneEffect === "failure" || failure.laneEffect === "none";
      if (charged) store.commit(admission.reservation);
      else store.refund(admission.reservation, now);
      this.onFailure(admission, failure, now);
    }
    admission.ticket.release();
    this.changed$.next();
  }
  /** Health as the selection and metrics see it. */
  state(now) {
    const breaker = this.breaker.state(now);
    if (this.disabledReason && breaker === "open") return "disabled";
    if (breaker === "open") return "open";
    if (breaker === "half-open") return "half-open";
    if (this.deps.store.coolingUntil(this.id) > now) return "cooling";
    return "healthy";
  }
  /** Epoch ms when an open breaker lets a probe through (0 when not open). */
  get reopensAt() {
    return this.breaker.reopensAt;
  }
  get disabledFor() {
    return [...this.disabledModels];
  }
  snapshot(now) {
    const view = this.deps.store.view(this.id, now);
    return {
      id: this.id,
      index: this.index,
      state: this.state(now),
      inflight: this.deps.gate.inflight,
      concurrency: this.deps.gate.limit,
      weight: this.weight,
      priority: this.priority,
      msPerToken: this.msPerToken.value,
      ttftMs: this.ttft.value,
      latencyMs: this.latency.value,
      rpm: view.rpm,
      tpm: view.tpm
    };
  }
  /** Releases the gate engine's resources and completes `changed$`. */
  async close() {
    this.changed$.complete();
    await this.deps.gate.close();
  }
  onSuccess(admission, report, now) {
    const c = this.counters;
    c.succeeded += 1;
    c.byStatus["200"] = (c.byStatus["200"] ?? 0) + 1;
    const elapsed = now - admission.startedAt;
    const usage = report.usage;
    if (usage) {
      const completion = "completion_tokens" in usage ? usage.completion_tokens : 0;
      c.promptTokens += usage.prompt_tokens;
      c.completionTokens += completion;
      this.tokenRate.add(usage.total_tokens, now);
      if (admission.kind === "chat") this.msPerToken.update(elapsed / Math.max(1, completion), now);
    }
    if (admission.kind === "stream" && report.ttftMs !== void 0) this.ttft.update(report.ttftMs, now);
    else this.latency.update(elapsed, now);
    const transition = this.breaker.success();
    if (transition) {
      this.disabledReason = void 0;
      this.report(transition, now);
    }
  }
  onFailure(admission, failure, now) {
    const c = this.counters;
    const statusKey = failure.status === void 0 ? failure.kind : String(failure.status);
    c.byStatus[statusKey] = (c.byStatus[statusKey] ?? 0) + 1;
    if (failure.kind === "aborted") {
      this.breaker.onNeutral();
      return;
    }
    c.failed += 1;
    switch (failure.laneEffect) {
      case "cool": {
        c.rateLimited += 1;
        this.penalize(now);
        const cap = this.deps.config.maxRetryAfterMs;
        const asked = failure.retryAfterMs;
        const wait = Math.min(asked ?? 1e3, cap);
        const until = now + wait;
        this.deps.store.cool(this.id, until, failure.exhausted, now);
        this.breaker.onNeutral();
        this.deps.emit({
          type: "cooled-down",
          at: now,
          endpoint: this.id,
          until,
          retryAfterMs: asked,
          capped: asked !== void 0 && asked > cap
        });
        return;
      }
      case "disable": {
        const ms = this.deps.config.breaker.disabledProbeMs;
        this.disabledReason = failure.kind;
        this.breaker.trip(now, ms);
        this.deps.emit({
          type: "endpoint-disabled",
          at: now,
          endpoint: this.id,
          reason: failure.kind,
          status: failure.status,
          until: now + ms
        });
        return;
      }
      case "disable-model":
        this.disabledModels.add(admission.model);
        this.breaker.onNeutral();
        this.deps.emit({
          type: "model-disabled",
          at: now,
          endpoint: this.id,
          model: admission.model,
          status: failure.status
        });
        return;
      case "failure": {
        this.penalize(now);
        const transition = this.breaker.failure(now);
        if (transition) this.report(transition, now, failure.kind);
        return;
      }
      case "none":
        this.breaker.onNeutral();
        return;
    }
  }
  /**
   * A failure counts as a slow sample, never a fast one: twice the current figure, at least the
   * configured floor and at most four floors, so a run of failures cannot push the figure so high that
   * a recovered endpoint needs hundreds of samples to win its traffic back.
   */
  penalize(now) {
    const floor = this.deps.config.latency.failurePenaltyMs;
    for (const [ewma, min] of [
      [this.latency, floor],
      [this.ttft, floor],
      [this.msPerToken, floor / 100]
    ]) {
      ewma.update(Math.min(4 * min, Math.max(2 * (ewma.value ?? 0), min)), now);
    }
  }
  calibrate(headers, reservation, now) {
    const report = parseRateLimitHeaders(headers);
    const learned = this.deps.store.calibrate(this.id, report, reservation, now);
    if (learned) {
      this.deps.emit({ type: "limits-learned", at: now, endpoint: this.id, rpm: learned.rpm, tpm: learned.tpm });
    }
  }
  report(transition, now, reason) {
    if (transition === "opened") {
      this.deps.emit({
        type: "circuit-opened",
        at: now,
        endpoint: this.id,
        until: this.breaker.reopensAt,
        reason: reason ?? "unknown"
      });
    } else if (transition === "half-opened") {
      this.deps.emit({ type: "circuit-half-opened", at: now, endpoint: this.id });
    } else {
      this.deps.emit({ type: "recovered", at: now, endpoint: this.id });
    }
  }
};
function createClient(endpoint, config, fetchImpl) {
  const shared = {
    maxRetries: 0,
    timeout: config.attemptTimeoutMs,
    fetch: fetchImpl,
    ...endpoint.headers ? { defaultHeaders: endpoint.headers } : {}
  };
  if (endpoint.type === "azure") {
    return new AzureOpenAI({
      ...shared,
      endpoint: endpoint.endpoint,
      apiVersion: endpoint.apiVersion,
      ...endpoint.azureADTokenProvider ? { azureADTokenProvider: endpoint.azureADTokenProvider } : { apiKey: endpoint.apiKey ?? "" }
    });
  }
  return new OpenAI({
    ...shared,
    apiKey: endpoint.apiKey,
    ...endpoint.baseURL ? { baseURL: endpoint.baseURL } : {},
    ...endpoint.organization ? { organization: endpoint.organization } : {},
    ...endpoint.project ? { project: endpoint.project } : {}
  });
}

// src/dispatch/http-pool.ts
import { Agent, fetch as undiciFetch } from "undici";
function createHttpPool(options = {}) {
  const agent = new Agent({
    keepAliveTimeout: 1e4,
    ...options.connectionsPerOrigin ? { connections: options.connectionsPerOrigin } : {}
  });
  const pooledFetch = ((input, init) => undiciFetch(input, { ...init, dispatcher: agent }));
  return {
    fetch: pooledFetch,
    close: () => agent.close()
  };
}

// src/dispatch/lane-gate.ts
function createNativeGate(limit) {
  let inflight = 0;
  return {
    limit,
    get inflight() {
      return inflight;
    },
    tryAcquire() {
      if (inflight >= limit) return void 0;
      inflight += 1;
      let released = false;
      return {
        ready: void 0,
        release() {
          if (released) return;
          released = true;
          inflight -= 1;
        }
      };
    },
    close: () => Promise.resolve()
  };
}

// src/dispatch/wait-queue.ts
var Fifo = class {
  items = [];
  head = 0;
  live = 0;
  push(item) {
    this.items.push(item);
    this.live += 1;
  }
  /** First item still waiting; removed ones are skipped lazily. */
  first(isRemoved) {
    while (this.head < this.items.length) {
      const item = this.items[this.head];
      if (item !== void 0 && !isRemoved(item)) return item;
      this.items[this.head] = void 0;
      this.head += 1;
    }
    this.compact();
    return void 0;
  }
  dropFirst() {
    this.items[this.head] = void 0;
    this.head += 1;
    this.live -= 1;
    if (this.live === 0) this.clear();
    else if (this.head > 1024 && this.head * 2 > this.items.length) this.compact();
  }
  /** Nothing waits here any more: drop the tombstones, so removed items are not retained. */
  clear() {
    this.items.length = 0;
    this.head = 0;
  }
  /** Clears the stale slot of an item that was removed and is pushed again (rare: O(n)). */
  forget(item) {
    const i = this.items.indexOf(item, this.head);
    if (i >= 0) this.items[i] = void 0;
  }
  compact() {
    this.items = this.items.slice(this.head);
    this.head = 0;
  }
};
var PriorityWaitQueue = class {
  /** @param agingMs time after which a waiting item counts as one priority level more urgent @default 10000 */
  constructor(agingMs) {
    this.agingMs = agingMs;
  }
  agingMs;
  levels = /* @__PURE__ */ new Map();
  /** Removed items whose slot may still be in their level (skipped lazily), with that level. */
  removed = /* @__PURE__ */ new WeakMap();
  levelOf = /* @__PURE__ */ new WeakMap();
  count = 0;
  get size() {
    return this.count;
  }
  push(item) {
    let level = this.levels.get(item.priority);
    if (!level) {
      level = new Fifo();
      this.levels.set(item.priority, level);
    }
    const stale = this.removed.get(item);
    if (stale) {
      stale.forget(item);
      this.removed.delete(item);
    }
    level.push(item);
    this.levelOf.set(item, level);
    this.count += 1;
  }
  peek(now) {
    return this.best(now)?.item;
  }
  shift(now) {
    const best = this.best(now);
    if (!best) return void 0;
    best.level.dropFirst();
    this.levelOf.delete(best.item);
    this.count -= 1;
    return best.item;
  }
  remove(item) {
    const level = this.levelOf.get(item);
    if (!level) return false;
    this.levelOf.delete(item);
    this.removed.set(item, level);
    level.live -= 1;
    if (level.live === 0) level.clear();
    this.count -= 1;
    return true;
  }
  sizes() {
    const out = {};
    for (const [priority, level] of this.levels) if (level.live > 0) out[String(priority)] = level.live;
    return out;
  }
  best(now) {
    if (this.count === 0) return void 0;
    let best;
    const isRemoved = (item) => this.removed.has(item);
    for (const [priority, level] of this.levels) {
      if (level.live === 0) continue;
      const item = level.first(isRemoved);
      if (!item) continue;
      const score = priority - (now - item.enqueuedAt) / this.agingMs;
      if (!best || score < best.score || score === best.score && item.seq < best.item.seq) {
        best = { item, level, score };
      }
    }
    return best && { item: best.item, level: best.level };
  }
};

// src/dispatch/model-queues.ts
var ModelQueues = class {
  /** @param agingMs see {@link PriorityWaitQueue} */
  constructor(agingMs) {
    this.agingMs = agingMs;
  }
  agingMs;
  byModel = /* @__PURE__ */ new Map();
  total = 0;
  get size() {
    return this.total;
  }
  push(job) {
    let q = this.byModel.get(job.model);
    if (!q) {
      q = new PriorityWaitQueue(this.agingMs);
      this.byModel.set(job.model, q);
    }
    q.push(job);
    this.total += 1;
  }
  remove(job) {
    const removed = this.byModel.get(job.model)?.remove(job) ?? false;
    if (removed) this.total -= 1;
    return removed;
  }
  /** Queues with waiting jobs, in model order. */
  *waiting() {
    for (const entry of this.byModel) if (entry[1].size > 0) yield entry;
  }
  /** Call after shifting from a queue obtained from `waiting()`. */
  shifted() {
    this.total -= 1;
  }
  /** Waiting jobs per priority, over all models. */
  sizesByPriority() {
    const out = {};
    for (const q of this.byModel.values()) {
      for (const [p, n2] of Object.entries(q.sizes())) out[p] = (out[p] ?? 0) + n2;
    }
    return out;
  }
  /** Waiting jobs per model. */
  sizesByModel() {
    const out = {};
    for (const [model, q] of this.byModel) if (q.size > 0) out[model] = q.size;
    return out;
  }
};

// src/dispatch/select-lane.ts
import { merge, Observable } from "rxjs";
function selectLane(options) {
  return (jobs$) => new Observable((subscriber) => {
    const { lanes, strategy, queue, scheduler, rng, onStuck } = options;
    const now = () => scheduler.now();
    const byModel = /* @__PURE__ */ new Map();
    for (const lane of lanes) {
      for (const model of lane.models) {
        const list = byModel.get(model) ?? [];
        list.push(lane);
        byModel.set(model, list);
      }
    }
    const isAlternative = options.isAlternative ?? ((lane, t) => lane.state(t) === "healthy");
    const candidates = [];
    const avoided = [];
    const context = { rng };
    let wake;
    let pumping = false;
    let again = false;
    const usable = (job, t, preferred, fallback) => {
      preferred.length = 0;
      fallback.length = 0;
      let alternative = false;
      for (const lane of byModel.get(job.model) ?? []) {
        if (!lane.serves(job.model)) continue;
        if (job.avoid?.has(lane.id) === true) fallback.push(lane);
        else {
          preferred.push(lane);
          if (!alternative && isAlternative(lane, t)) alternative = true;
        }
      }
      if (alternative) fallback.length = 0;
    };
    const tryDispatch = (job, t) => {
      usable(job, t, candidates, avoided);
      let pick = candidates.filter((lane2) => lane2.canAdmit(job.tokens, t));
      if (pick.length === 0) pick = avoided.filter((lane2) => lane2.canAdmit(job.tokens, t));
      if (pick.length === 0) return false;
      let lane = pick[0];
      if (pick.length > 1) {
        const snapshots = pick.map((l) => l.snapshot(t));
        const id = strategy(snapshots, { model: job.model, kind: job.kind, tokens: job.tokens }, context);
        if (id === void 0) return false;
        lane = pick.find((l) => l.id === id);
      }
      const admission = lane?.admit(job.model, job.kind, job.tokens, t);
      if (!admission) return false;
      if (job.timer) {
        job.timer.unsubscribe();
        job.timer = void 0;
      }
      job.state = "running";
      subscriber.next({ job, admission });
      return true;
    };
    const soonest = (job, t) => {
      usable(job, t, candidates, avoided);
      if (candidates.length + avoided.length === 0) return Number.NaN;
      let best = Number.POSITIVE_INFINITY;
      let anyBusy = false;
      for (const lane of [...candidates, ...avoided]) {
        if (lane.inflight > 0) anyBusy = true;
        if (lane.state(t) === "disabled") continue;
        best = Math.min(best, lane.msUntilAdmissible(job.tokens, t));
      }
      return best === Number.POSITIVE_INFINITY && anyBusy ? -1 : best;
    };
    const enqueue = (job, t) => {
      job.state = "queued";
      job.queuedAt = t;
      queue.push(job);
      if (!job.timer && Number.isFinite(job.deadline)) {
        job.timer = scheduler.schedule(() => {
          job.timer = void 0;
          if (queue.remove(job)) onStuck(job, "deadline");
        }, Math.max(0, job.deadline - t));
      }
    };
    const pump = () => {
      if (pumping) {
        again = true;
        return;
      }
      pumping = true;
      try {
        do {
          again = false;
          const t = now();
          for (const [, q] of queue.waiting()) {
            for (let job = q.peek(t); job; job = q.peek(t)) {
              if (!tryDispatch(job, t)) break;
              q.shift(t);
              queue.shifted();
            }
          }
        } while (again);
      } finally {
        pumping = false;
      }
      scheduleWake();
    };
    const scheduleWake = () => {
      if (queue.size === 0) {
        wake?.sub.unsubscribe();
        wake = void 0;
        return;
      }
      const t = now();
      let next = Number.POSITIVE_INFINITY;
      const stuck = [];
      for (const [, q] of queue.waiting()) {
        const head = q.peek(t);
        if (!head) continue;
        const ms = soonest(head, t);
        if (Number.isNaN(ms) || ms === Number.POSITIVE_INFINITY) stuck.push(head);
        else if (ms > 0) {
          if (t + ms > head.deadline && head.fallbacks.length > 0) stuck.push(head);
          else next = Math.min(next, ms);
        }
      }
      for (const job of stuck) {
        if (!queue.remove(job)) continue;
        job.timer?.unsubscribe();
        job.timer = void 0;
        const ms = soonest(job, t);
        onStuck(job, Number.isNaN(ms) || ms === Number.POSITIVE_INFINITY ? "unservable" : "too-late");
      }
      if (next === Number.POSITIVE_INFINITY) return;
      const at = t + next;
      if (wake && wake.at <= at && wake.at > t) return;
      wake?.sub.unsubscribe();
      wake = {
        at,
        sub: scheduler.schedule(() => {
          wake = void 0;
          pump();
        }, next)
      };
    };
    const intake = jobs$.subscribe({
      next: (job) => {
        const t = now();
        if (queue.size === 0 || pumping) {
          if (!pumping && tryDispatch(job, t)) return;
        }
        if (queue.size >= options.maxQueueSize && job.attempts.length === 0) {
          onStuck(job, "queue-full");
          return;
        }
        enqueue(job, t);
        pump();
      },
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete()
    });
    const freed = merge(...lanes.map((l) => l.changed$)).subscribe(() => {
      if (queue.size > 0) pump();
    });
    return () => {
      intake.unsubscribe();
      freed.unsubscribe();
      wake?.sub.unsubscribe();
      wake = void 0;
    };
  });
}

// src/metrics/collect.ts
var finite = (n2) => n2 === void 0 || !Number.isFinite(n2) ? null : n2;
function budget(view) {
  return {
    limit: finite(view.limit),
    remaining: view.remaining === Number.POSITIVE_INFINITY ? null : Math.floor(view.remaining),
    capacity: finite(view.capacity)
  };
}
function collectMetrics(lanes, store, queue, maxSize, pending, now) {
  let requests = 0;
  let succeeded = 0;
  let failed = 0;
  let inflight = 0;
  const endpoints = lanes.map((lane) => {
    const snap = lane.snapshot(now);
    const state = store.view(lane.id, now);
    const c = lane.counters;
    requests += c.attempts;
    succeeded += c.succeeded;
    failed += c.failed;
    inflight += snap.inflight;
    return {
      name: lane.id,
      type: lane.type,
      models: lane.models,
      state: snap.state,
      inflight: snap.inflight,
      concurrency: finite(snap.concurrency),
      peakInflight: c.peakInflight,
      attempts: c.attempts,
      succeeded: c.succeeded,
      failed: c.failed,
      rateLimited: c.rateLimited,
      byStatus: { ...c.byStatus },
      requestsPerSecond: lane.requestRate.perSecond(now),
      tokensPerMinute: lane.tokenRate.sum(now, 60),
      promptTokens: c.promptTokens,
      completionTokens: c.completionTokens,
      latencyMs: finite(snap.latencyMs),
      ttftMs: finite(snap.ttftMs),
      msPerToken: finite(snap.msPerToken),
      rpm: budget(snap.rpm),
      tpm: budget(snap.tpm),
      coolingUntil: state.coolingUntil,
      reopensAt: lane.reopensAt,
      outstandingReservations: state.outstanding,
      disabledModels: lane.disabledFor
    };
  });
  return {
    at: now,
    queue: { depth: queue.size, maxSize, byPriority: queue.sizesByPriority(), byModel: queue.sizesByModel() },
    endpoints,
    totals: { requests, succeeded, failed, inflight, pending }
  };
}

// src/resilience/backoff.ts
function fullJitterBackoff(options) {
  return (retry, rng) => rng() * Math.min(options.maxMs, options.baseMs * 2 ** retry);
}

// src/resilience/classify.ts
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
function classifyFailure(error, now) {
  const base = { error, status: void 0, code: void 0, retryAfterMs: void 0, exhausted: "both" };
  if (error instanceof APIUserAbortError) {
    return { ...base, kind: "aborted", retryable: false, failoverOnly: false, laneEffect: "none" };
  }
  if (error instanceof APIConnectionTimeoutError) {
    return { ...base, kind: "timeout", retryable: true, failoverOnly: false, laneEffect: "failure" };
  }
  if (error instanceof APIConnectionError) {
    return { ...base, kind: "connection", retryable: true, failoverOnly: false, laneEffect: "failure" };
  }
  if (!(error instanceof APIError) || error.status === void 0) {
    return { ...base, kind: "unknown", retryable: false, failoverOnly: false, laneEffect: "none" };
  }
  const status = error.status;
  const code = typeof error.code === "string" ? error.code : void 0;
  const headers = error.headers;
  const shouldRetry = headers?.get("x-should-retry");
  const common2 = { ...base, status, code };
  if (status === 429) {
    const body = error.error;
    if (code === "insufficient_quota" || error.type === "insufficient_quota") {
      return { ...common2, kind: "quota-exhausted", retryable: false, failoverOnly: true, laneEffect: "disable" };
    }
    return {
      ...common2,
      kind: "rate-limited",
      retryable: shouldRetry !== "false",
      failoverOnly: false,
      laneEffect: "cool",
      retryAfterMs: parseRetryAfterMs(headers, body, now),
      exhausted: exhaustedBudget(error.message, headers)
    };
  }
  if (status === 401 || status === 403) {
    return { ...common2, kind: "auth", retryable: false, failoverOnly: true, laneEffect: "disable" };
  }
  if (status === 404) {
    return { ...common2, kind: "not-found", retryable: false, failoverOnly: true, laneEffect: "disable-model" };
  }
  const transient = status === 408 || status === 409 || status >= 500;
  if (transient) {
    return {
      ...common2,
      kind: status >= 500 ? "server" : "timeout",
      retryable: shouldRetry !== "false",
      failoverOnly: false,
      laneEffect: "failure"
    };
  }
  return {
    ...common2,
    kind: "bad-request",
    retryable: shouldRetry === "true",
    failoverOnly: false,
    laneEffect: "none"
  };
}
function exhaustedBudget(message, headers) {
  const remTokens = headers?.get("x-ratelimit-remaining-tokens");
  const remRequests = headers?.get("x-ratelimit-remaining-requests");
  if (remRequests === "0" && remTokens !== "0") return "requests";
  if (remTokens === "0" && remRequests !== "0") return "tokens";
  const tokenLimit = /\btokens? (?:rate limit|per (?:min|minute|day))|\bT(?:PM|PD)\b/i.test(message);
  const requestLimit = /\b(?:call|request) rate limit|\brequests? per (?:min|minute|day)|\bR(?:PM|PD)\b/i.test(message);
  if (tokenLimit && !requestLimit) return "tokens";
  if (requestLimit && !tokenLimit) return "requests";
  if (/token/i.test(message) && !/request|call/i.test(message)) return "tokens";
  if (/request|call/i.test(message) && !/token/i.test(message)) return "requests";
  return "both";
}

// src/router.ts
var inspectSymbol = /* @__PURE__ */ Symbol.for("nodejs.util.inspect.custom");
function createRouter(config, dependencies = {}) {
  return new Router(config, dependencies);
}
var Router = class {
  /** Push requests here; each gets exactly one outcome on `completions$`. */
  requests = new Subject2();
  /** The outcome of every request the router handles, whichever API it came through. */
  completions$;
  /** What happens inside: dispatches, retries, failovers, cooldowns, breaker transitions, learned limits. */
  events$;
  /** Live snapshots of every endpoint and the queue, every `metricsIntervalMs`; replays the latest. */
  metrics$;
  /** The SDK-shaped chat API. */
  chat;
  /** The SDK-shaped embeddings API. */
  embeddings;
  config;
  lanes;
  scheduler;
  rng;
  store;
  estimator;
  queue;
  jobs = new Subject2();
  eventsSubject = new Subject2();
  completionsSubject = new Subject2();
  closed$ = new ReplaySubject(1);
  live = /* @__PURE__ */ new Set();
  servedModels;
  secrets;
  backoff;
  subscriptions = [];
  strategyName;
  pool;
  transport;
  seq = 0;
  closing;
  drained;
  /** Prefer {@link createRouter}. */
  constructor(input, dependencies = {}) {
    const config = parseConfig(input);
    this.config = config;
    this.scheduler = config.scheduler ?? asyncScheduler;
    this.rng = config.rng ?? Math.random;
    this.store = dependencies.budgetStore ?? new InMemoryBudgetStore();
    this.transport = dependencies.transport ?? sdkTransport;
    this.estimator = createTokenEstimator({ defaultOutputTokens: config.defaultOutputTokens });
    this.queue = new ModelQueues(config.queue.agingMs);
    this.backoff = fullJitterBackoff({ baseMs: config.retry.baseDelayMs, maxMs: config.retry.maxDelayMs });
    this.secrets = config.endpoints.flatMap((e) => e.apiKey ? [e.apiKey] : []);
    const Bottleneck = config.lanes.engine === "bottleneck" ? loadBottleneck() : void 0;
    const now = () => this.scheduler.now();
    const emit = (event) => this.eventsSubject.next(event);
    this.pool = config.fetch ? void 0 : createHttpPool();
    const fetchImpl = config.fetch ?? this.pool.fetch;
    this.lanes = config.endpoints.map((endpoint, index) => {
      const limit = endpoint.limits?.concurrency ?? Number.POSITIVE_INFINITY;
      const gate = Bottleneck ? createBottleneckGate(limit, Bottleneck) : createNativeGate(limit);
      return new Lane(endpoint, index, { config, store: this.store, gate, now, emit, fetch: fetchImpl });
    });
    this.servedModels = new Set(config.endpoints.flatMap(modelsOf));
    this.strategyName = typeof config.strategy === "function" ? "custom" : config.strategy;
    const strategy = typeof config.strategy === "function" ? config.strategy : createStrategy(config.strategy, {
      within: config.priorityWithin,
      explorationInterval: config.latency.explorationInterval
    });
    this.events$ = this.eventsSubject.asObservable();
    this.completions$ = this.completionsSubject.asObservable();
    this.metrics$ = defer(() => timer(0, config.metricsIntervalMs, this.scheduler)).pipe(
      map(() => this.snapshot()),
      takeUntil(this.closed$),
      shareReplay({ bufferSize: 1, refCount: true })
    );
    this.subscriptions.push(
      this.jobs.pipe(
        selectLane({
          lanes: this.lanes,
          strategy,
          queue: this.queue,
          maxQueueSize: config.queue.maxSize,
          scheduler: this.scheduler,
          rng: this.rng,
          onStuck: (job, reason) => this.onStuck(job, reason)
        })
      ).subscribe((assignment) => this.execute(assignment)),
      this.requests.subscribe((request) => this.submitRequest(request, void 0))
    );
    const create = (body, options) => body.stream === true ? this.createStream(body, options) : this.call("chat", body, options);
    this.chat = {
      completions: { create }
    };
    this.embeddings = {
      create: (body, options) => this.call("embeddings", body, options)
    };
  }
  /**
   * The operator form of `requests`: each request in, its outcome out; completes when the source
   * has completed and every request has its outcome.
   * @example
   * from(batch).pipe(router.route()).subscribe((c) => console.log(c.id, c.ok));
   */
  route() {
    return (source) => new Observable2((subscriber) => {
      let pending = 0;
      let sourceDone = false;
      const sub = source.subscribe({
        next: (request) => {
          pending += 1;
          this.submitRequest(request, (completion) => {
            subscriber.next(completion);
            pending -= 1;
            if (sourceDone && pending === 0) subscriber.complete();
          });
        },
        error: (error) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          if (pending === 0) subscriber.complete();
        }
      });
      return () => sub.unsubscribe();
    });
  }
  /**
   * A streamed chat completion as an Observable of chunks. Unsubscribing stops the request.
   * @example
   * router.stream({ model: "gpt-4o", messages }).subscribe((chunk) => …);
   */
  stream(body, options = {}) {
    return new Observable2((subscriber) => {
      const controller = new AbortController();
      const outer = options.signal;
      const forward = () => controller.abort(outer?.reason);
      outer?.addEventListener("abort", forward, { once: true });
      if (outer?.aborted) controller.abort(outer.reason);
      this.createStream({ ...body, stream: true }, { ...options, signal: controller.signal }).then(async (stream) => {
        for await (const chunk of stream) {
          if (subscriber.closed) break;
          subscriber.next(chunk);
        }
        subscriber.complete();
      }).catch((error) => subscriber.error(error));
      return () => {
        outer?.removeEventListener("abort", forward);
        controller.abort();
      };
    });
  }
  /** The current state of every endpoint and the queue (what `metrics$` emits). */
  snapshot() {
    return collectMetrics(this.lanes, this.store, this.queue, this.config.queue.maxSize, this.live.size, this.scheduler.now());
  }
  /**
   * Stops intake (new requests settle with `ROUTER_CLOSED`), waits for every accepted request to settle,
   * then completes every observable and releases timers and engines.
   */
  close() {
    if (!this.closing) {
      this.closing = (async () => {
        if (this.live.size > 0) await new Promise((resolve) => this.drained = resolve);
        for (const sub of this.subscriptions) sub.unsubscribe();
        this.closed$.next();
        this.closed$.complete();
        this.requests.complete();
        this.jobs.complete();
        this.completionsSubject.complete();
        this.eventsSubject.complete();
        await Promise.all(this.lanes.map((lane) => lane.close()));
        await this.pool?.close();
      })();
    }
    return this.closing;
  }
  toString() {
    return `Router(${this.strategyName}; ${this.lanes.map((l) => l.id).join(", ")})`;
  }
  toJSON() {
    return { strategy: this.strategyName, endpoints: this.lanes.map((l) => l.id) };
  }
  [inspectSymbol]() {
    return this.toString();
  }
  // ——— intake ———
  call(kind, body, options = {}) {
    return new Promise((resolve, reject) => {
      this.submit(kind, body, options, (c) => c.ok ? resolve(c.response) : reject(c.error), void 0);
    });
  }
  createStream(body, options = {}) {
    return new Promise((resolve, reject) => {
      this.submit(
        "stream",
        body,
        options,
        (c) => {
          if (!c.ok) reject(c.error);
        },
        resolve
      );
    });
  }
  submitRequest(request, deliver) {
    const kind = request?.kind;
    const options = { id: request?.id, priority: request?.priority, timeout: request?.timeoutMs, signal: request?.signal };
    if (kind !== "chat" && kind !== "embeddings") {
      this.reject(options.id ?? this.nextId(), "chat", "", new RequestInvalidError(`A request's kind must be "chat" or "embeddings".`), deliver);
      return;
    }
    if (kind === "chat" && request.body?.stream === true) {
      this.reject(
        options.id ?? this.nextId(),
        "chat",
        String(request.body?.model ?? ""),
        new RequestInvalidError("Streamed requests go through router.stream() or chat.completions.create({ stream: true })."),
        deliver
      );
      return;
    }
    this.submit(kind, request.body, options, deliver ?? (() => void 0), void 0);
  }
  submit(kind, body, options, deliver, started) {
    const id = options.id ?? this.nextId();
    const model = typeof body?.model === "string" ? body.model : "";
    if (this.closing) return this.reject(id, kind, model, new RouterClosedError(), deliver);
    const invalid = validateBody(kind, body);
    if (invalid) return this.reject(id, kind, model, new RequestInvalidError(invalid), deliver);
    if (options.signal?.aborted) return this.reject(id, kind, model, new AbortedError({ cause: options.signal.reason }), deliver);
    const fallbacks = [...this.config.fallbacks[model] ?? []];
    let current = model;
    while (!this.servedModels.has(current) && fallbacks.length > 0) current = fallbacks.shift() ?? current;
    if (!this.servedModels.has(current)) {
      return this.reject(id, kind, model, new NoEndpointForModelError(model, [...this.servedModels]), deliver);
    }
    const tokens = kind === "embeddings" ? this.estimator.estimateEmbeddingTokens(body) : this.estimator.estimateChatTokens(body);
    const largest = this.largestTokenBudget(current);
    if (tokens > largest) return this.reject(id, kind, model, new RequestTooLargeError(model, tokens, largest), deliver);
    const now = this.scheduler.now();
    const timeoutMs = options.timeout ?? this.config.timeoutMs;
    const job = {
      id,
      kind,
      body: current === model ? body : { ...body, model: current },
      model: current,
      requestedModel: model,
      tokens,
      priority: options.priority ?? 0,
      seq: this.seq++,
      enqueuedAt: now,
      arrivedAt: now,
      queuedAt: now,
      deadline: now + timeoutMs,
      timeoutMs,
      signal: options.signal,
      attempts: [],
      avoid: void 0,
      fallbacks,
      state: "queued",
      timer: void 0,
      modelAttempts: 0,
      deliver,
      started,
      onAbort: void 0,
      endpoint: void 0
    };
    this.live.add(job);
    if (options.signal) {
      const signal = options.signal;
      job.onAbort = () => this.onAbort(job);
      signal.addEventListener("abort", job.onAbort, { once: true });
    }
    this.jobs.next(job);
  }
  reject(id, kind, model, error, deliver) {
    if (this.eventsSubject.observed) this.eventsSubject.next({ type: "rejected", at: this.scheduler.now(), id, code: error.code });
    const completion = { id, ok: false, kind, error, endpoint: void 0, requestedModel: model, model, attempts: [], latencyMs: 0 };
    if (!this.completionsSubject.closed) this.completionsSubject.next(completion);
    deliver?.(completion);
  }
  nextId() {
    return `req_${(this.seq + 1).toString(36)}_${Math.floor(this.rng() * 1e9).toString(36)}`;
  }
  largestTokenBudget(model) {
    let largest = 0;
    const now = this.scheduler.now();
    for (const lane of this.lanes) {
      if (!lane.models.includes(model)) continue;
      largest = Math.max(largest, this.store.view(lane.id, now).tpm.capacity);
    }
    return largest;
  }
  // ——— attempts ———
  execute({ job, admission }) {
    const handle = job;
    const lane = admission.lane;
    handle.endpoint = lane.id;
    handle.modelAttempts += 1;
    if (this.eventsSubject.observed) {
      this.eventsSubject.next({
        type: "dispatched",
        at: admission.startedAt,
        id: job.id,
        endpoint: lane.id,
        model: job.model,
        attempt: job.attempts.length + 1,
        queuedMs: admission.startedAt - job.queuedAt
      });
    }
    if (job.kind === "stream") void this.runStream(handle, admission);
    else void this.runCall(handle, admission);
  }
  common(job, admission) {
    const remaining = job.deadline - this.scheduler.now();
    return {
      endpoint: admission.lane.id,
      client: admission.lane.client,
      signal: job.signal,
      timeout: Math.max(1, Math.min(this.config.attemptTimeoutMs, remaining))
    };
  }
  bodyFor(job, admission) {
    const model = admission.lane.deploymentFor(job.model);
    return model === job.body.model ? job.body : { ...job.body, model };
  }
  async runCall(job, admission) {
    const lane = admission.lane;
    try {
      if (admission.ticket.ready) await admission.ticket.ready;
      const common2 = this.common(job, admission);
      const result = job.kind === "embeddings" ? await this.transport({ kind: "embeddings", body: this.bodyFor(job, admission), common: common2 }) : await this.transport({
        kind: "chat",
        body: this.bodyFor(job, admission),
        common: common2
      });
      if (result.kind === "stream") throw new TypeError("transport returned a stream for a non-streamed call");
      const data = result.data;
      lane.finish(admission, { headers: result.headers, usage: data.usage });
      this.record(job, admission, 200, void 0);
      this.settle(job, { ok: true, endpoint: lane.id, response: data, usage: data.usage });
    } catch (error) {
      this.attemptFailed(job, admission, classifyFailure(error, this.scheduler.now()));
    }
  }
  async runStream(job, admission) {
    const lane = admission.lane;
    const startedAt = this.scheduler.now();
    let firstTokenTimedOut = false;
    let firstTokenTimer;
    try {
      if (admission.ticket.ready) await admission.ticket.ready;
      const body = this.bodyFor(job, admission);
      const includeUsage = body.stream_options?.include_usage === true;
      const streamBody = {
        ...body,
        stream: true,
        stream_options: { ...body.stream_options, include_usage: true }
      };
      const result = await this.transport({ kind: "stream", body: streamBody, common: this.common(job, admission) });
      if (result.kind !== "stream") throw new TypeError("transport returned no stream for a streamed call");
      const { data, headers } = result;
      const wait = Math.max(1, Math.min(this.config.firstTokenTimeoutMs, job.deadline - this.scheduler.now()));
      firstTokenTimer = this.scheduler.schedule(() => {
        firstTokenTimedOut = true;
        data.controller.abort();
      }, wait);
      const iterator = data[Symbol.asyncIterator]();
      const buffered = [];
      for (; ; ) {
        const next = await iterator.next();
        if (next.done) break;
        buffered.push(next.value);
        if (hasOutput(next.value)) break;
      }
      firstTokenTimer.unsubscribe();
      if (data.controller.signal.aborted) {
        this.attemptFailed(job, admission, firstTokenTimedOut ? timeoutFailure(void 0) : abortedFailure());
        return;
      }
      const ttftMs = this.scheduler.now() - startedAt;
      const stream = new ChatStream(
        buffered,
        iterator,
        data.controller,
        includeUsage,
        (end) => this.streamEnded(job, admission, headers, ttftMs, end),
        (error, received) => new StreamInterruptedError(lane.id, received, error, this.redact)
      );
      if (job.state === "settled") {
        await stream.cancel();
        return;
      }
      job.started?.(stream);
    } catch (error) {
      firstTokenTimer?.unsubscribe();
      const now = this.scheduler.now();
      const failure = firstTokenTimedOut ? timeoutFailure(error) : classifyFailure(error, now);
      this.attemptFailed(job, admission, failure);
    }
  }
  streamEnded(job, admission, headers, ttftMs, end) {
    const lane = admission.lane;
    if (end.kind === "done") {
      lane.finish(admission, { headers, usage: end.usage, ttftMs });
      this.record(job, admission, 200, void 0);
      this.settle(job, { ok: true, endpoint: lane.id, response: void 0, usage: end.usage });
      return;
    }
    if (end.kind === "stopped") {
      lane.finish(admission, { failure: abortedFailure() });
      this.record(job, admission, void 0, "aborted");
      this.settle(job, { ok: false, error: new AbortedError() });
      return;
    }
    const failure = classifyFailure(end.error, this.scheduler.now());
    lane.finish(admission, { failure });
    this.record(job, admission, failure.status, failure.code ?? failure.kind);
    this.settle(job, { ok: false, error: new StreamInterruptedError(lane.id, 0, end.error, this.redact) });
  }
  record(job, admission, status, errorCode) {
    const attempt = {
      endpoint: admission.lane.id,
      model: job.model,
      durationMs: this.scheduler.now() - admission.startedAt,
      ...status !== void 0 ? { status } : {},
      ...errorCode !== void 0 ? { errorCode } : {}
    };
    job.attempts.push(attempt);
  }
  attemptFailed(job, admission, failure) {
    const lane = admission.lane;
    lane.finish(admission, { headers: headersOf(failure.error), failure });
    this.record(job, admission, failure.status, failure.code ?? failure.kind);
    if (job.state === "settled") return;
    const now = this.scheduler.now();
    if (failure.kind === "aborted" || job.signal?.aborted) {
      return this.settle(job, { ok: false, error: new AbortedError({ cause: job.signal?.reason ?? failure.error }) });
    }
    if (now >= job.deadline) {
      return this.settle(job, { ok: false, error: new DeadlineExceededError(job.timeoutMs, "running", { cause: failure.error }) });
    }
    if (!failure.retryable && !failure.failoverOnly) {
      return this.settle(job, { ok: false, error: new UpstreamError(lane.id, failure.error, this.redact) });
    }
    if (job.modelAttempts >= this.config.retry.maxAttempts) {
      if (this.useFallback(job)) return;
      return this.settle(job, { ok: false, error: this.allFailed(job, failure) });
    }
    job.avoid ??= /* @__PURE__ */ new Set();
    job.avoid.add(lane.id);
    const others = this.lanes.some((l) => l !== lane && l.serves(job.model));
    if (others && this.eventsSubject.observed) {
      this.eventsSubject.next({ type: "failed-over", at: now, id: job.id, from: lane.id, model: job.model, reason: failure.kind });
    }
    const delayMs = failure.kind === "rate-limited" ? 0 : Math.round(this.backoff(job.modelAttempts - 1, this.rng));
    if (this.eventsSubject.observed) {
      this.eventsSubject.next({
        type: "retried",
        at: now,
        id: job.id,
        endpoint: lane.id,
        model: job.model,
        attempt: job.attempts.length,
        reason: failure.kind,
        status: failure.status,
        delayMs
      });
    }
    this.requeue(job, delayMs);
  }
  requeue(job, delayMs) {
    if (delayMs <= 0) {
      this.jobs.next(job);
      return;
    }
    job.state = "backoff";
    job.timer = this.scheduler.schedule(() => {
      job.timer = void 0;
      if (job.state === "backoff") this.jobs.next(job);
    }, Math.min(delayMs, Math.max(0, job.deadline - this.scheduler.now())));
  }
  allFailed(job, failure) {
    return new AllEndpointsFailedError(job.requestedModel, job.attempts, failure.error);
  }
  useFallback(job) {
    const next = job.fallbacks.shift();
    if (next === void 0) return false;
    if (this.eventsSubject.observed) {
      this.eventsSubject.next({ type: "fallback-used", at: this.scheduler.now(), id: job.id, from: job.model, to: next });
    }
    job.model = next;
    job.body = { ...job.body, model: next };
    job.avoid = void 0;
    job.modelAttempts = 0;
    this.jobs.next(job);
    return true;
  }
  onStuck(job, reason) {
    switch (reason) {
      case "queue-full":
        return this.settle(job, { ok: false, error: new QueueFullError(this.config.queue.maxSize) });
      case "deadline":
        return this.settle(job, { ok: false, error: new DeadlineExceededError(job.timeoutMs, "queued") });
      case "too-late":
      case "unservable": {
        if (this.useFallback(job)) return;
        const error = job.attempts.length > 0 ? new AllEndpointsFailedError(job.requestedModel, job.attempts, void 0) : new NoEndpointForModelError(job.model, [...this.servedModels]);
        return this.settle(job, { ok: false, error });
      }
    }
  }
  onAbort(job) {
    if (job.state === "queued") {
      if (this.queue.remove(job)) this.settle(job, { ok: false, error: new AbortedError({ cause: job.signal?.reason }) });
    } else if (job.state === "backoff") {
      this.settle(job, { ok: false, error: new AbortedError({ cause: job.signal?.reason }) });
    }
  }
  settle(job, outcome) {
    if (job.state === "settled") return;
    job.state = "settled";
    job.timer?.unsubscribe();
    job.timer = void 0;
    if (job.onAbort) job.signal?.removeEventListener("abort", job.onAbort);
    this.live.delete(job);
    const base = {
      id: job.id,
      kind: job.kind,
      requestedModel: job.requestedModel,
      model: job.model,
      attempts: job.attempts,
      latencyMs: this.scheduler.now() - job.arrivedAt
    };
    const completion = outcome.ok ? { ...base, ok: true, endpoint: outcome.endpoint, response: outcome.response, usage: outcome.usage } : { ...base, ok: false, endpoint: job.endpoint, error: outcome.error };
    if (this.completionsSubject.observed) this.completionsSubject.next(completion);
    job.deliver(completion);
    if (this.drained && this.live.size === 0) this.drained();
  }
  redact = (text) => {
    let out = text;
    for (const secret of this.secrets) if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join("[redacted]");
    return out;
  };
};
function validateBody(kind, body) {
  if (typeof body !== "object" || body === null) return "The request body must be an object.";
  if (typeof body.model !== "string" || body.model.length === 0) return "The request body needs a `model` string.";
  if (kind === "embeddings") {
    return "input" in body && body.input !== void 0 ? void 0 : "An embeddings request needs `input`.";
  }
  return Array.isArray(body.messages) ? void 0 : "A chat request needs a `messages` array.";
}
function headersOf(error) {
  const headers = error?.headers;
  return typeof headers?.get === "function" ? headers : void 0;
}
function abortedFailure() {
  return {
    kind: "aborted",
    status: void 0,
    code: void 0,
    retryable: false,
    failoverOnly: false,
    laneEffect: "none",
    retryAfterMs: void 0,
    exhausted: "both",
    error: void 0
  };
}
function timeoutFailure(error) {
  return { ...abortedFailure(), kind: "timeout", retryable: true, laneEffect: "failure", code: "first_token_timeout", error };
}

// bench/lib/fixtures.ts
var MODEL = "gpt-4o";
var CHAT_BODY = {
  model: MODEL,
  max_tokens: 64,
  messages: [
    { role: "system", content: "You are a concise assistant." },
    { role: "user", content: "Summarise the benefits of a single central queue in one sentence." }
  ]
};
var COMPLETION = {
  id: "chatcmpl-bench0000000000000000000000",
  object: "chat.completion",
  created: 17e8,
  model: "gpt-4o-2024-08-06",
  system_fingerprint: "fp_bench",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: "One queue in front of every endpoint lets each request take the first endpoint that can serve it.",
        refusal: null,
        annotations: []
      },
      logprobs: null,
      finish_reason: "stop"
    }
  ],
  usage: {
    prompt_tokens: 27,
    completion_tokens: 20,
    total_tokens: 47,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0
    }
  }
};
var COMPLETION_JSON = JSON.stringify(COMPLETION);
async function drive(total, concurrency, call, options = {}) {
  const { latencies, deadline } = options;
  let started = 0;
  let completed = 0;
  const worker = async () => {
    while (started < total && (deadline === void 0 || performance.now() < deadline)) {
      const i = started++;
      if (latencies) {
        const t02 = process.hrtime.bigint();
        await call(i);
        latencies[i] = Number(process.hrtime.bigint() - t02) / 1e3;
      } else {
        await call(i);
      }
      completed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return completed;
}

// bench/_prof.ts
var R = { kind: "chat", data: COMPLETION, headers: void 0 };
var stub = () => Promise.resolve(R);
var router = createRouter({ endpoints: [{ name: "e0", type: "openai", apiKey: "sk-bench-000000", baseURL: "http://e0.bench.invalid/v1", models: ["gpt-4o"] }] }, { transport: stub });
await drive(2e4, 1e3, () => router.chat.completions.create(CHAT_BODY));
var n = Number(process.argv[2] ?? 2e5);
var t0 = performance.now();
await drive(n, 1e3, () => router.chat.completions.create(CHAT_BODY));
var w = performance.now() - t0;
console.log("req/s", (n / w * 1e3).toFixed(0));
await router.close();

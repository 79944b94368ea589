// src/sim/clock.ts
var systemClock = () => Date.now();

// src/sim/options.ts
import { z } from "zod";

// src/sim/sim-error.ts
var SimError = class extends Error {
  name = "SimError";
  code;
  /** Every validation problem (only for `SIM_CONFIG_INVALID`). */
  issues;
  constructor(code, message, options = {}) {
    super(message, options.cause === void 0 ? void 0 : { cause: options.cause });
    this.code = code;
    this.issues = options.issues ?? [];
  }
};

// src/sim/options.ts
var DEFAULT_BEARER_PREFIX = "sim-entra-";
var nonNegative = z.number().finite().nonnegative();
var share = z.number().min(0).max(1);
var urlSafeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must start with a letter or digit and use only [A-Za-z0-9._-]");
var faultsSchema = z.strictObject({
  errorRate: share.optional(),
  errorStatus: z.int().min(400).max(599).optional(),
  rateLimitStormMs: nonNegative.optional(),
  insufficientQuota: z.boolean().optional(),
  resetBeforeHeaders: share.optional(),
  resetMidStreamAfterChunks: z.int().nonnegative().optional(),
  hang: z.boolean().optional(),
  down: z.boolean().optional(),
  slowFactor: z.number().finite().positive().optional(),
  slowStartMs: nonNegative.optional()
});
var limitsSchema = z.strictObject({
  rpm: z.number().finite().positive().optional(),
  tpm: z.number().finite().positive().optional(),
  concurrency: z.int().positive().optional()
});
var latencySchema = z.strictObject({
  ttftMs: nonNegative.optional(),
  tokensPerSecond: z.number().finite().positive().optional(),
  jitter: share.optional()
});
var common = {
  name: urlSafeName.max(64),
  limits: limitsSchema.optional(),
  latency: latencySchema.optional(),
  apiKey: z.string().min(1).optional(),
  port: z.int().min(0).max(65535).optional(),
  faults: faultsSchema.optional()
};
var azureSchema = z.strictObject({
  ...common,
  type: z.literal("azure"),
  deployments: z.record(z.string().min(1), urlSafeName).refine((d) => Object.keys(d).length > 0, "needs at least one model \u2192 deployment entry").refine(
    (d) => new Set(Object.values(d)).size === Object.values(d).length,
    "each deployment name may serve only one model"
  ),
  acceptBearerPrefix: z.string().min(1).nullable().optional()
});
var openaiSchema = z.strictObject({
  ...common,
  type: z.literal("openai"),
  models: z.array(z.string().min(1)).min(1)
});
function isLoopback(host) {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
var fleetSchema = z.strictObject({
  seed: z.int().optional(),
  host: z.string().refine(isLoopback, "the sim only listens on loopback (127.x.x.x, ::1 or localhost)").optional(),
  endpoints: z.array(z.discriminatedUnion("type", [azureSchema, openaiSchema])).min(1),
  now: z.custom((v) => typeof v === "function", "expected a function returning milliseconds").optional()
}).superRefine((opts, ctx) => {
  const names = /* @__PURE__ */ new Map();
  const ports = /* @__PURE__ */ new Map();
  opts.endpoints.forEach((e, i) => {
    const seen = names.get(e.name);
    if (seen !== void 0) {
      ctx.addIssue({
        code: "custom",
        path: ["endpoints", i, "name"],
        message: `duplicate of endpoints[${seen}]`
      });
    } else names.set(e.name, i);
    if (e.port !== void 0 && e.port !== 0) {
      const taken = ports.get(e.port);
      if (taken !== void 0) {
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", i, "port"],
          message: `same as endpoints[${taken}]`
        });
      } else ports.set(e.port, i);
    }
  });
});
function parseFleetOptions(input) {
  const result = fleetSchema.safeParse(input);
  if (!result.success) throw configError("Invalid sim fleet options", result.error.issues);
  const { seed = 0, host = "127.0.0.1", endpoints, now } = result.data;
  return { seed, host: host === "localhost" ? "127.0.0.1" : host, endpoints, now };
}
function parseFaults(input) {
  const result = faultsSchema.safeParse(input);
  if (!result.success) throw configError("Invalid faults", result.error.issues);
  return result.data;
}
function configError(title, issues) {
  const lines = issues.map((i) => `  - ${formatPath(i.path)}: ${i.message}`);
  return new SimError("SIM_CONFIG_INVALID", `${title}:
${lines.join("\n")}`, {
    issues: issues.map((i) => ({ path: formatPath(i.path), message: i.message }))
  });
}
function formatPath(path) {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(root)" : out;
}

// src/sim/prng.ts
function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = state + 1831565813 >>> 0;
    let t = state;
    t = Math.imul(t ^ t >>> 15, t | 1);
    t ^= t + Math.imul(t ^ t >>> 7, t | 61);
    return ((t ^ t >>> 14) >>> 0) / 4294967296;
  };
}
function hashString(text, seed = 0) {
  let h1 = 3735928559 ^ seed;
  let h2 = 1103547991 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ h1 >>> 16, 2246822507) ^ Math.imul(h2 ^ h2 >>> 13, 3266489909);
  h2 = Math.imul(h2 ^ h2 >>> 16, 2246822507) ^ Math.imul(h1 ^ h1 >>> 13, 3266489909);
  return (h1 ^ h2) >>> 0;
}
function deriveSeed(seed, ...labels) {
  return hashString(labels.join("\0"), seed >>> 0);
}
var BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
var HEX = "0123456789abcdef";
function randomBase62(rng, length) {
  let out = "";
  for (let i = 0; i < length; i++) out += BASE62[Math.floor(rng() * 62)];
  return out;
}
function randomHex(rng, length) {
  let out = "";
  for (let i = 0; i < length; i++) out += HEX[Math.floor(rng() * 16)];
  return out;
}
function randomUuid(rng) {
  const h = randomHex(rng, 32);
  const variant = HEX[8 + Math.floor(rng() * 4)];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// src/sim/server.ts
import {
  createServer
} from "http";
import { performance } from "perf_hooks";

// src/sim/auth.ts
function single(v) {
  return Array.isArray(v) ? v[0] : v;
}
function bearer(headers) {
  const h = headers.authorization;
  if (h === void 0 || !/^bearer /i.test(h)) return void 0;
  return h.slice(7).trim();
}
function checkAuth(config, headers) {
  if (config.flavor === "azure") {
    const key = single(headers["api-key"]);
    if (key !== void 0) return key === config.apiKey ? "ok" : "invalid";
  }
  const token = bearer(headers);
  if (token === void 0) return "missing";
  if (token === config.apiKey) return "ok";
  if (config.flavor === "azure" && config.bearerPrefix !== null && token.startsWith(config.bearerPrefix))
    return "ok";
  return "invalid";
}

// src/sim/go-duration.ts
function formatGoDuration(ms) {
  if (!Number.isFinite(ms)) throw new RangeError(`Expected a finite duration in ms, got ${ms}`);
  let ns = Math.round(ms * 1e6);
  if (ns === 0) return "0s";
  const sign = ns < 0 ? "-" : "";
  ns = Math.abs(ns);
  if (ns < 1e3) return `${sign}${ns}ns`;
  if (ns < 1e6) return `${sign}${fraction(ns, 1e3)}\xB5s`;
  if (ns < 1e9) return `${sign}${fraction(ns, 1e6)}ms`;
  const hours = Math.floor(ns / 36e11);
  let rest = ns - hours * 36e11;
  const minutes = Math.floor(rest / 6e10);
  rest -= minutes * 6e10;
  const seconds = `${fraction(rest, 1e9)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}
function fraction(value, unit) {
  const whole = Math.floor(value / unit);
  const rem = value - whole * unit;
  if (rem === 0) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rem).padStart(digits, "0").replace(/0+$/, "")}`;
}

// src/sim/errors.ts
function apiError(status, message, type, param = null, code = null, headers) {
  const body = JSON.stringify({ error: { message, type, param, code } });
  return headers === void 0 ? { status, body } : { status, body, headers };
}
function azureError(status, code, message, headers) {
  const body = JSON.stringify({ error: { code, message } });
  return headers === void 0 ? { status, body } : { status, body, headers };
}
function invalidJson() {
  return apiError(
    400,
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    "invalid_request_error"
  );
}
function missingParam(param) {
  return apiError(
    400,
    `Missing required parameter: '${param}'.`,
    "invalid_request_error",
    param,
    "missing_required_parameter"
  );
}
function invalidParam(param, message, code = "invalid_value") {
  return apiError(400, message, "invalid_request_error", param, code);
}
function unauthorized(flavor, provided) {
  if (flavor === "azure") {
    return azureError(
      401,
      "401",
      "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."
    );
  }
  return provided ? apiError(401, "Incorrect API key provided.", "invalid_request_error", null, "invalid_api_key") : apiError(
    401,
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    "invalid_request_error",
    null,
    "invalid_api_key"
  );
}
function unknownUrl(flavor, method, path) {
  return flavor === "azure" ? resourceNotFound() : apiError(404, `Invalid URL (${method} ${path})`, "invalid_request_error");
}
function resourceNotFound() {
  return azureError(404, "404", "Resource not found");
}
function deploymentNotFound() {
  return azureError(
    404,
    "DeploymentNotFound",
    "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."
  );
}
function modelNotFound(model) {
  return apiError(
    404,
    `The model \`${model}\` does not exist or you do not have access to it.`,
    "invalid_request_error",
    null,
    "model_not_found"
  );
}
function wrongOperation(flavor, op, model) {
  if (flavor === "azure") {
    return azureError(
      400,
      "OperationNotSupported",
      `The ${op === "chat" ? "chatCompletion" : "embeddings"} operation does not work with the specified model, ${model}. Please choose different model and try again.`
    );
  }
  return op === "chat" ? apiError(
    404,
    "This is not a chat model and thus not supported in the v1/chat/completions endpoint.",
    "invalid_request_error",
    "model"
  ) : apiError(400, `The model \`${model}\` does not support embeddings.`, "invalid_request_error", "model");
}
function rateLimited(ctx, d) {
  const retryAfterMs = Math.max(1, Math.ceil(d.retryAfterMs));
  const seconds = Math.ceil(retryAfterMs / 1e3);
  const headers = { "retry-after": String(seconds), "retry-after-ms": String(retryAfterMs) };
  const tokenKind = d.kind === "tokens" || d.kind === "tokens-too-large";
  if (ctx.flavor === "azure") {
    const operation = ctx.op === "chat" ? "ChatCompletions_Create" : "Embeddings_Create";
    const extra = d.kind === "tokens-too-large" ? ` The request's token charge (${d.requested}) exceeds the limit of ${d.limit} tokens per minute.` : d.kind === "concurrency" ? ` Too many requests in flight (limit ${d.limit}).` : "";
    return azureError(
      429,
      "429",
      `Requests to the ${operation} Operation under Azure OpenAI API version ${ctx.apiVersion} have exceeded ${tokenKind ? "token" : "call"} rate limit of your current OpenAI S0 pricing tier. Please retry after ${seconds} second${seconds === 1 ? "" : "s"}.${extra} Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
      headers
    );
  }
  const where = `for ${ctx.model} in organization org-sim`;
  const wait = formatGoDuration(retryAfterMs);
  const visit = "Visit https://platform.openai.com/account/rate-limits to learn more.";
  let message;
  switch (d.kind) {
    case "tokens-too-large":
      message = `Request too large ${where} on tokens per min (TPM): Limit ${d.limit}, Requested ${d.requested}. The input or output tokens must be reduced in order to run successfully. ${visit}`;
      break;
    case "tokens":
      message = `Rate limit reached ${where} on tokens per min (TPM): Limit ${d.limit}, Used ${d.used}, Requested ${d.requested}. Please try again in ${wait}. ${visit}`;
      break;
    case "requests":
      message = `Rate limit reached ${where} on requests per min (RPM): Limit ${d.limit}, Used ${d.used}, Requested 1. Please try again in ${wait}. ${visit}`;
      break;
    case "concurrency":
      message = `Too many concurrent requests ${where}: Limit ${d.limit}. Please try again in ${wait}.`;
      break;
    case "storm":
      message = `Rate limit reached ${where} on requests per min (RPM). Please try again in ${wait}. ${visit}`;
      break;
  }
  return apiError(429, message, tokenKind ? "tokens" : "requests", null, "rate_limit_exceeded", headers);
}
function insufficientQuota() {
  return apiError(
    429,
    "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    "insufficient_quota",
    null,
    "insufficient_quota"
  );
}
var SERVER_ERRORS = {
  500: ["InternalServerError", "The server had an error while processing your request. Sorry about that!"],
  502: ["BadGateway", "Bad gateway."],
  503: ["ServiceUnavailable", "The server is overloaded or not ready yet."],
  504: ["GatewayTimeout", "Gateway timeout."]
};
function injectedError(flavor, status) {
  if (status < 500) {
    return apiError(status, `Simulated error (status ${status}).`, "invalid_request_error");
  }
  const [azureCode, message] = SERVER_ERRORS[status] ?? [
    "ServerError",
    `Simulated server error (status ${status}).`
  ];
  return flavor === "azure" ? azureError(status, azureCode, message) : apiError(status, message, "server_error");
}

// src/sim/body.ts
var ROLES = /* @__PURE__ */ new Set(["system", "developer", "user", "assistant", "tool", "function"]);
var MAX_N = 128;
var MAX_EMBEDDING_INPUTS = 2048;
function isObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function typeName(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (Number.isInteger(v)) return "an integer";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}
function wrongType(param, expected, got) {
  return invalidParam(
    param,
    `Invalid type for '${param}': expected ${expected}, but got ${typeName(got)} instead.`,
    "invalid_type"
  );
}
function readModel(body, requireModel) {
  const model = body.model;
  if (model === void 0) return requireModel ? missingParam("model") : void 0;
  if (typeof model !== "string") return wrongType("model", "a string", model);
  return model;
}
function readPositiveInt(body, param, max = Number.MAX_SAFE_INTEGER) {
  const v = body[param];
  if (v === void 0 || v === null) return void 0;
  if (typeof v !== "number" || !Number.isInteger(v)) return wrongType(param, "an integer", v);
  if (v < 1 || v > max) {
    return invalidParam(param, `Invalid '${param}': integer ${v} is out of range [1, ${max}].`);
  }
  return v;
}
function messageText(content, path) {
  if (content === void 0 || content === null) return "";
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return wrongType(path, "a string or an array of content parts", content);
  let text = "";
  for (let i = 0; i < content.length; i++) {
    const part = content[i];
    if (!isObject(part) || typeof part.type !== "string") {
      return invalidParam(
        `${path}[${i}]`,
        `Invalid content part at '${path}[${i}]': expected an object with 'type'.`
      );
    }
    if (part.type === "text") {
      if (typeof part.text !== "string") return wrongType(`${path}[${i}].text`, "a string", part.text);
      text += part.text;
    }
  }
  return text;
}
function parseChatBody(body, requireModel) {
  if (!isObject(body)) return wrongType("body", "an object", body);
  const model = readModel(body, requireModel);
  if (typeof model === "object") return model;
  const raw = body.messages;
  if (raw === void 0) return missingParam("messages");
  if (!Array.isArray(raw)) return wrongType("messages", "an array", raw);
  if (raw.length === 0) {
    return invalidParam(
      "messages",
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      "empty_array"
    );
  }
  const messages = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const m = raw[i];
    const path = `messages[${i}]`;
    if (!isObject(m)) return wrongType(path, "an object", m);
    const role = m.role;
    if (role === void 0) return missingParam(`${path}.role`);
    if (typeof role !== "string" || !ROLES.has(role)) {
      return invalidParam(
        `${path}.role`,
        `Invalid value: '${String(role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`
      );
    }
    const text = messageText(m.content, `${path}.content`);
    if (typeof text !== "string") return text;
    const name = m.name;
    if (name !== void 0 && typeof name !== "string") return wrongType(`${path}.name`, "a string", name);
    messages[i] = name === void 0 ? { role, text } : { role, text, name };
  }
  const n = readPositiveInt(body, "n", MAX_N);
  if (typeof n === "object") return n;
  const maxCompletion = readPositiveInt(body, "max_completion_tokens");
  if (typeof maxCompletion === "object") return maxCompletion;
  const maxTokens = readPositiveInt(body, "max_tokens");
  if (typeof maxTokens === "object") return maxTokens;
  const stream = body.stream;
  if (stream !== void 0 && stream !== null && typeof stream !== "boolean") {
    return wrongType("stream", "a boolean", stream);
  }
  const options = body.stream_options;
  let includeUsage = false;
  if (options !== void 0 && options !== null) {
    if (stream !== true) {
      return invalidParam(
        "stream_options",
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        "invalid_value"
      );
    }
    if (!isObject(options)) return wrongType("stream_options", "an object", options);
    const usage2 = options.include_usage;
    if (usage2 !== void 0 && typeof usage2 !== "boolean") {
      return wrongType("stream_options.include_usage", "a boolean", usage2);
    }
    includeUsage = usage2 === true;
  }
  return {
    model,
    messages,
    n: n ?? 1,
    maxTokens: maxCompletion ?? maxTokens,
    stream: stream === true,
    includeUsage
  };
}
function isTokenArray(v) {
  if (!Array.isArray(v) || v.length === 0) return false;
  for (const t of v) if (typeof t !== "number" || !Number.isInteger(t) || t < 0) return false;
  return true;
}
function badInput() {
  return invalidParam(
    "input",
    "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."
  );
}
function parseEmbeddingsBody(body, requireModel) {
  if (!isObject(body)) return wrongType("body", "an object", body);
  const model = readModel(body, requireModel);
  if (typeof model === "object") return model;
  const input = body.input;
  if (input === void 0) return missingParam("input");
  let inputs;
  if (typeof input === "string") {
    if (input.length === 0) return badInput();
    inputs = [input];
  } else if (Array.isArray(input) && input.length > 0 && input.length <= MAX_EMBEDDING_INPUTS) {
    if (typeof input[0] === "string") {
      for (const s of input) if (typeof s !== "string" || s.length === 0) return badInput();
      inputs = input;
    } else if (typeof input[0] === "number") {
      if (!isTokenArray(input)) return badInput();
      inputs = [input];
    } else {
      for (const t of input) if (!isTokenArray(t)) return badInput();
      inputs = input;
    }
  } else {
    return badInput();
  }
  const dimensions = readPositiveInt(body, "dimensions");
  if (typeof dimensions === "object") return dimensions;
  const format = body.encoding_format;
  if (format !== void 0 && format !== null && format !== "float" && format !== "base64") {
    return invalidParam(
      "encoding_format",
      `Invalid value: '${String(format)}'. Supported values are: 'float' and 'base64'.`
    );
  }
  return { model, inputs, dimensions, encodingFormat: format === "base64" ? "base64" : "float" };
}

// src/sim/chat.ts
var SAFE = { filtered: false, severity: "safe" };
var NOT_DETECTED = { filtered: false, detected: false };
var PROMPT_FILTER_RESULTS = [
  {
    prompt_index: 0,
    content_filter_results: {
      hate: SAFE,
      jailbreak: NOT_DETECTED,
      self_harm: SAFE,
      sexual: SAFE,
      violence: SAFE
    }
  }
];
var CHOICE_FILTER_RESULTS = {
  hate: SAFE,
  protected_material_code: NOT_DETECTED,
  protected_material_text: NOT_DETECTED,
  self_harm: SAFE,
  sexual: SAFE,
  violence: SAFE
};
function usage(plan) {
  return {
    prompt_tokens: plan.promptTokens,
    completion_tokens: plan.completionTokens,
    total_tokens: plan.promptTokens + plan.completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0
    }
  };
}
function renderCompletion(plan) {
  const choices = plan.choices.map((c, index) => {
    const choice = {
      index,
      message: { role: "assistant", content: c.tokens.join(""), refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: c.finishReason
    };
    return plan.azure ? { ...choice, content_filter_results: CHOICE_FILTER_RESULTS } : choice;
  });
  const body = {
    id: plan.id,
    object: "chat.completion",
    created: plan.created,
    model: plan.model,
    system_fingerprint: plan.fingerprint,
    choices,
    usage: usage(plan)
  };
  return JSON.stringify(plan.azure ? { ...body, prompt_filter_results: PROMPT_FILTER_RESULTS } : body);
}
var DONE_EVENT = "data: [DONE]\n\n";
function renderStream(plan) {
  const usageTail = plan.includeUsage ? ',"usage":null}\n\n' : "}\n\n";
  const head = `data: {"id":${JSON.stringify(plan.id)},"object":"chat.completion.chunk","created":${plan.created},"model":${JSON.stringify(plan.model)},"system_fingerprint":${JSON.stringify(plan.fingerprint)},"choices":[`;
  const filters = plan.azure ? `,"content_filter_results":${JSON.stringify(CHOICE_FILTER_RESULTS)}` : "";
  const emptyFilters = plan.azure ? ',"content_filter_results":{}' : "";
  const events = [];
  const push = (data, kind, position = 0) => events.push({ data, kind, position });
  if (plan.azure) {
    push(
      `data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":${JSON.stringify(PROMPT_FILTER_RESULTS)}${usageTail}`,
      "preamble"
    );
  }
  plan.choices.forEach((_, index) => {
    push(
      `${head}{"index":${index},"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null${emptyFilters}}]${usageTail}`,
      "preamble"
    );
  });
  const longest = plan.choices.reduce((max, c) => Math.max(max, c.tokens.length), 0);
  for (let position = 0; position < longest; position++) {
    plan.choices.forEach((choice, index) => {
      const token = choice.tokens[position];
      if (token === void 0) return;
      push(
        `${head}{"index":${index},"delta":{"content":${JSON.stringify(token)}},"logprobs":null,"finish_reason":null${filters}}]${usageTail}`,
        "content",
        position
      );
    });
  }
  const last = Math.max(0, longest - 1);
  plan.choices.forEach((choice, index) => {
    push(
      `${head}{"index":${index},"delta":{},"logprobs":null,"finish_reason":"${choice.finishReason}"${emptyFilters}}]${usageTail}`,
      "tail",
      last
    );
  });
  if (plan.includeUsage) push(`${head}],"usage":${JSON.stringify(usage(plan))}}

`, "tail", last);
  push(DONE_EVENT, "tail", last);
  return events;
}

// src/sim/content.ts
var WORDS = [
  "river",
  "garden",
  "silver",
  "window",
  "yellow",
  "simple",
  "common",
  "stone",
  "system",
  "model",
  "data",
  "signal",
  "cloud",
  "graph",
  "light",
  "water",
  "little",
  "very",
  "after",
  "called",
  "just",
  "where",
  "most",
  "know",
  "through",
  "back",
  "much",
  "before",
  "good",
  "new",
  "write",
  "around",
  "another",
  "come",
  "work",
  "three",
  "word",
  "must",
  "because",
  "does",
  "part",
  "even",
  "place",
  "well",
  "such",
  "help",
  "different",
  "away",
  "again",
  "went",
  "old",
  "number",
  "great",
  "tell",
  "small",
  "every",
  "found",
  "still",
  "between",
  "name",
  "should",
  "home",
  "big",
  "give"
];
var CAPITALISED = WORDS.map((w) => w[0].toUpperCase() + w.slice(1));
var SPACED = WORDS.map((w) => ` ${w}`);
var MIN_REPLY_TOKENS = 8;
var MAX_REPLY_TOKENS = 120;
function generateReply(seed, promptKey, choiceIndex, maxTokens) {
  const rng = mulberry32(hashString(promptKey, seed + choiceIndex * 2654435769));
  const natural = MIN_REPLY_TOKENS + Math.floor(rng() * (MAX_REPLY_TOKENS - MIN_REPLY_TOKENS + 1));
  const length = maxTokens === void 0 ? natural : Math.min(natural, maxTokens);
  const tokens = new Array(length);
  const words = natural - 1;
  for (let i = 0; i < length; i++) {
    const w = Math.floor(rng() * WORDS.length);
    tokens[i] = i === words ? "." : i === 0 ? CAPITALISED[w] : SPACED[w];
  }
  return { tokens, finishReason: length < natural ? "length" : "stop" };
}

// src/sim/embeddings.ts
function nativeDimensions(model) {
  return model.includes("embedding-3-large") ? 3072 : 1536;
}
function supportsDimensions(model) {
  return model.includes("embedding-3");
}
function isEmbeddingModel(model) {
  return model.includes("embedding");
}
function inputKey(input) {
  return typeof input === "string" ? `s:${input}` : `t:${input.join(",")}`;
}
function embeddingVector(seed, model, input, dims) {
  const rng = mulberry32(hashString(inputKey(input), seed ^ hashString(model)));
  const out = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const v = rng() + rng() - 1;
    out[i] = v;
    norm += v * v;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dims; i++) out[i] = (out[i] ?? 0) * scale;
  return out;
}
function toBase64(vector) {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i] ?? 0, i * 4);
  return bytes.toString("base64");
}
function renderEmbeddings(plan) {
  const data = plan.inputs.map((input, index) => {
    const vector = embeddingVector(plan.seed, plan.model, input, plan.dims);
    return {
      object: "embedding",
      index,
      embedding: plan.encodingFormat === "base64" ? toBase64(vector) : Array.from(vector)
    };
  });
  return JSON.stringify({
    object: "list",
    data,
    model: plan.model,
    usage: { prompt_tokens: plan.promptTokens, total_tokens: plan.promptTokens }
  });
}

// src/sim/faults.ts
var FaultState = class {
  constructor(seed, name, now) {
    this.seed = seed;
    this.name = name;
    this.now = now;
    this.#errorRng = mulberry32(deriveSeed(seed, name, "fault-error"));
    this.#resetRng = mulberry32(deriveSeed(seed, name, "fault-reset"));
  }
  seed;
  name;
  now;
  #faults = {};
  #stormUntil = 0;
  #errorRng;
  #resetRng;
  get current() {
    return this.#faults;
  }
  set(faults) {
    this.#faults = faults;
    this.#stormUntil = faults.rateLimitStormMs ? this.now() + faults.rateLimitStormMs : 0;
    this.#errorRng = mulberry32(deriveSeed(this.seed, this.name, "fault-error"));
    this.#resetRng = mulberry32(deriveSeed(this.seed, this.name, "fault-reset"));
  }
  /** Milliseconds left in the current rate-limit storm; 0 when there is none. */
  stormRemainingMs() {
    if (this.#stormUntil === 0) return 0;
    const left = this.#stormUntil - this.now();
    if (left > 0) return left;
    this.#stormUntil = 0;
    return 0;
  }
  /** Whether this request's socket is reset before headers. */
  drawReset() {
    const share2 = this.#faults.resetBeforeHeaders;
    return share2 !== void 0 && share2 > 0 && this.#resetRng() < share2;
  }
  /** The status this request fails with, or undefined when it passes. */
  drawError() {
    const rate = this.#faults.errorRate;
    if (rate === void 0 || rate <= 0 || this.#errorRng() >= rate) return void 0;
    return this.#faults.errorStatus ?? 500;
  }
};

// src/sim/latency.ts
var INSTANT = { startMs: 0, ttftMs: 0, perTokenMs: 0 };
var LatencyModel = class {
  constructor(config, rng) {
    this.rng = rng;
    this.#ttftMs = config?.ttftMs ?? 0;
    this.#perTokenMs = config?.tokensPerSecond === void 0 ? 0 : 1e3 / config.tokensPerSecond;
    this.#jitter = config?.jitter ?? 0;
  }
  rng;
  #ttftMs;
  #perTokenMs;
  #jitter;
  sample(slowFactor, slowStartMs) {
    if (this.#ttftMs === 0 && this.#perTokenMs === 0 && slowStartMs === 0) return INSTANT;
    const factor = slowFactor * (this.#jitter === 0 ? 1 : 1 + this.#jitter * (2 * this.rng() - 1));
    return { startMs: slowStartMs, ttftMs: this.#ttftMs * factor, perTokenMs: this.#perTokenMs * factor };
  }
};
function totalDelayMs(t, tokens) {
  return t.startMs + t.ttftMs + tokens * t.perTokenMs;
}

// src/sim/limits.ts
var DEFAULT_OUTPUT_CHARGE = 1e3;
var CONCURRENCY_RETRY_AFTER_MS = 1e3;
var TIME_EPSILON_MS = 1e-6;
var TokenBucket = class {
  constructor(capacity, refillPerMs, now) {
    this.capacity = capacity;
    this.refillPerMs = refillPerMs;
    this.now = now;
    this.#level = capacity;
    this.#last = now();
  }
  capacity;
  refillPerMs;
  now;
  #level;
  #last;
  /** Current fill after refilling up to now. */
  level() {
    const t = this.now();
    if (t > this.#last) {
      this.#level = Math.min(this.capacity, this.#level + (t - this.#last) * this.refillPerMs);
      this.#last = t;
    }
    return this.#level;
  }
  /** Milliseconds until `amount` tokens are available: 0 if they are now, Infinity if never. */
  msUntil(amount) {
    if (amount > this.capacity) return Number.POSITIVE_INFINITY;
    const wait = (amount - this.level()) / this.refillPerMs;
    return wait <= TIME_EPSILON_MS ? 0 : wait;
  }
  /** Milliseconds until the bucket is full again. */
  msUntilFull() {
    return (this.capacity - this.level()) / this.refillPerMs;
  }
  take(amount) {
    this.#level = this.level() - amount;
  }
};
var ADMITTED = { ok: true };
var EndpointLimiter = class {
  constructor(config, now) {
    this.config = config;
    const { rpm, tpm } = config;
    this.requests = rpm === void 0 ? void 0 : new TokenBucket(Math.max(1, rpm / 6), rpm / 6e4, now);
    this.tokens = tpm === void 0 ? void 0 : new TokenBucket(tpm, tpm / 6e4, now);
  }
  config;
  requests;
  tokens;
  /** True when some limit is configured, so responses carry `x-ratelimit-*` headers. */
  get hasRateLimits() {
    return this.requests !== void 0 || this.tokens !== void 0;
  }
  /**
   * Admits (and charges) a request costing `charge` tokens, or says why not and when to retry.
   * `inflight` is the number of requests already being served, not counting this one.
   */
  admit(charge, inflight) {
    const { concurrency } = this.config;
    if (concurrency !== void 0 && inflight >= concurrency) {
      return { ok: false, reason: "concurrency", retryAfterMs: CONCURRENCY_RETRY_AFTER_MS };
    }
    const tokens = this.tokens;
    if (tokens !== void 0 && charge > tokens.capacity) {
      return { ok: false, reason: "tokens-too-large", retryAfterMs: wholeMs(tokens.msUntilFull()) };
    }
    const requestWait = this.requests?.msUntil(1) ?? 0;
    const tokenWait = tokens?.msUntil(charge) ?? 0;
    if (requestWait > 0 || tokenWait > 0) {
      return {
        ok: false,
        reason: tokenWait > requestWait ? "tokens" : "requests",
        retryAfterMs: wholeMs(Math.max(requestWait, tokenWait))
      };
    }
    this.requests?.take(1);
    tokens?.take(charge);
    return ADMITTED;
  }
  /**
   * The `x-ratelimit-*` headers describing the buckets now (call after `admit`, so remaining
   * reflects this request's charge).
   */
  headers() {
    const out = {};
    const { requests, tokens } = this;
    if (requests !== void 0) {
      out["x-ratelimit-limit-requests"] = String(this.config.rpm);
      out["x-ratelimit-remaining-requests"] = String(Math.floor(requests.level()));
      out["x-ratelimit-reset-requests"] = formatGoDuration(ceilMs(requests.msUntilFull()));
    }
    if (tokens !== void 0) {
      out["x-ratelimit-limit-tokens"] = String(this.config.tpm);
      out["x-ratelimit-remaining-tokens"] = String(Math.floor(tokens.level()));
      out["x-ratelimit-reset-tokens"] = formatGoDuration(ceilMs(tokens.msUntilFull()));
    }
    return out;
  }
};
function ceilMs(ms) {
  return Math.max(0, Math.ceil(ms - TIME_EPSILON_MS));
}
function wholeMs(ms) {
  return Math.max(1, ceilMs(ms));
}

// src/sim/routes.ts
var OPENAI_OPS = {
  "/v1/chat/completions": "chat",
  "/v1/embeddings": "embeddings"
};
var AZURE_V1_OPS = {
  "/openai/v1/chat/completions": "chat",
  "/openai/v1/embeddings": "embeddings"
};
var AZURE_DEPLOYMENT_PATH = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;
function stripTrailingSlash(path) {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}
function decodeSegment(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return void 0;
  }
}
function apiVersionOf(query) {
  if (query === "") return void 0;
  const v = new URLSearchParams(query).get("api-version");
  return v === null || v === "" ? void 0 : v;
}
function matchRoute(flavor, method, url) {
  const q = url.indexOf("?");
  const path = stripTrailingSlash(q === -1 ? url : url.slice(0, q));
  const query = q === -1 ? "" : url.slice(q + 1);
  if (flavor === "openai") {
    if (method === "POST") {
      const op = OPENAI_OPS[path];
      if (op !== void 0) return { op, deployment: void 0, apiVersion: "" };
    } else if (method === "GET") {
      if (path === "/v1/models") return { op: "list-models" };
      if (path.startsWith("/v1/models/")) {
        const id = decodeSegment(path.slice(11));
        if (id !== void 0) return { op: "get-model", id };
      }
    }
    return unknownUrl(flavor, method, path);
  }
  if (method === "POST") {
    const v1 = AZURE_V1_OPS[path];
    if (v1 !== void 0) return { op: v1, deployment: void 0, apiVersion: apiVersionOf(query) ?? "v1" };
    const m = AZURE_DEPLOYMENT_PATH.exec(path);
    const deployment = m === null ? void 0 : decodeSegment(m[1]);
    if (m !== null && deployment !== void 0) {
      const apiVersion = apiVersionOf(query);
      if (apiVersion === void 0) return resourceNotFound();
      return { op: m[2] === "embeddings" ? "embeddings" : "chat", deployment, apiVersion };
    }
  } else if (method === "GET" && path === "/openai/v1/models") {
    return { op: "list-models" };
  }
  return resourceNotFound();
}

// src/sim/stats.ts
var StatsRecorder = class {
  requests = 0;
  byStatus = {};
  promptTokens = 0;
  completionTokens = 0;
  peakConcurrency = 0;
  inflight = 0;
  dropped = 0;
  status(code) {
    this.byStatus[code] = (this.byStatus[code] ?? 0) + 1;
  }
  enter() {
    this.inflight++;
    if (this.inflight > this.peakConcurrency) this.peakConcurrency = this.inflight;
  }
  leave() {
    this.inflight--;
  }
  /** Zeroes the counters; requests still in flight stay counted in `inflight`. */
  reset() {
    this.requests = 0;
    this.byStatus = {};
    this.promptTokens = 0;
    this.completionTokens = 0;
    this.peakConcurrency = this.inflight;
    this.dropped = 0;
  }
  snapshot() {
    return {
      requests: this.requests,
      byStatus: { ...this.byStatus },
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      peakConcurrency: this.peakConcurrency,
      inflight: this.inflight,
      dropped: this.dropped
    };
  }
};

// src/sim/tokens.ts
import { countTokens } from "gpt-tokenizer";
var MAX_CACHED_LENGTH = 2048;
var TokenCounter = class {
  constructor(maxEntries = 1e4) {
    this.maxEntries = maxEntries;
  }
  maxEntries;
  #cache = /* @__PURE__ */ new Map();
  count(text) {
    if (text.length > MAX_CACHED_LENGTH) return countTokens(text);
    let n = this.#cache.get(text);
    if (n === void 0) {
      n = countTokens(text);
      if (this.#cache.size >= this.maxEntries) {
        const oldest = this.#cache.keys().next().value;
        if (oldest !== void 0) this.#cache.delete(oldest);
      }
      this.#cache.set(text, n);
    }
    return n;
  }
};
var TOKENS_PER_MESSAGE = 3;
var REPLY_PRIMING_TOKENS = 3;
function countChatTokens(counter, messages) {
  let total = REPLY_PRIMING_TOKENS;
  for (const m of messages) {
    total += TOKENS_PER_MESSAGE + counter.count(m.role) + counter.count(m.text);
    if (m.name !== void 0) total += counter.count(m.name) + 1;
  }
  return total;
}

// src/sim/server.ts
var MODEL_CREATED = 17e8;
var SimServer = class {
  constructor(config) {
    this.config = config;
    this.limiter = new EndpointLimiter(config.limits, config.now);
    this.faults = new FaultState(config.seed, config.name, config.now);
    this.faults.set(config.faults);
    this.#latency = new LatencyModel(
      config.latency,
      mulberry32(deriveSeed(config.seed, config.name, "latency"))
    );
    this.#ids = mulberry32(deriveSeed(config.seed, config.name, "ids"));
    this.#auth = { flavor: config.flavor, apiKey: config.apiKey, bearerPrefix: config.bearerPrefix };
    this.#server = createServer((req, res) => this.#guard(req, res, () => this.#onRequest(req, res)));
    this.#server.on("connection", (socket) => this.#onConnection(socket));
    this.#server.on("error", () => {
    });
  }
  config;
  stats = new StatsRecorder();
  limiter;
  faults;
  #server;
  #sockets = /* @__PURE__ */ new Set();
  #timers = /* @__PURE__ */ new Set();
  #latency;
  #ids;
  #fingerprints = /* @__PURE__ */ new Map();
  #auth;
  #closing;
  #url = "";
  /** `http://host:port`, known after `listen`. */
  get url() {
    return this.#url;
  }
  listen() {
    return new Promise((resolve, reject) => {
      const onError = (err) => reject(err);
      this.#server.once("error", onError);
      this.#server.listen(this.config.port, this.config.host, () => {
        this.#server.off("error", onError);
        const { address, port } = this.#server.address();
        this.#url = `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
        resolve();
      });
    });
  }
  setFaults(faults) {
    this.faults.set(faults);
    if (faults.down) for (const socket of this.#sockets) socket.resetAndDestroy();
  }
  /** Stops listening, destroys every open socket and clears every timer. Idempotent. */
  close() {
    if (this.#closing !== void 0) return this.#closing;
    this.#closing = new Promise((resolve) => {
      if (!this.#server.listening) resolve();
      else this.#server.close(() => resolve());
    });
    for (const socket of this.#sockets) socket.destroy();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    return this.#closing;
  }
  #onConnection(socket) {
    if (this.faults.current.down || this.#closing !== void 0) {
      socket.resetAndDestroy();
      return;
    }
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
  }
  #onRequest(req, res) {
    const ex = {
      req,
      res,
      started: this.config.now(),
      status: 0,
      admitted: false,
      closed: false,
      timer: void 0,
      rateHeaders: void 0
    };
    this.stats.requests++;
    res.once("close", () => this.#onClose(ex));
    const route = matchRoute(this.config.flavor, req.method ?? "GET", req.url ?? "/");
    if ("status" in route) {
      this.#sendError(ex, route);
      return;
    }
    const auth = checkAuth(this.#auth, req.headers);
    if (auth !== "ok") {
      this.#sendError(ex, unauthorized(this.config.flavor, auth === "invalid"));
      return;
    }
    if (route.op === "list-models" || route.op === "get-model") {
      this.#models(ex, route);
      return;
    }
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      this.#guard(req, res, () => this.#onBody(ex, route, raw.toString("utf8")));
    });
  }
  /**
   * A bug in the sim must not take down the process hosting it (often a test runner): answer 500
   * with the reason instead, or drop the connection if the headers are already out.
   */
  #guard(req, res, fn) {
    try {
      fn();
    } catch (e) {
      if (res.headersSent) req.socket.destroy();
      else {
        const body = JSON.stringify({
          error: {
            message: `sim internal error: ${String(e)}`,
            type: "server_error",
            param: null,
            code: null
          }
        });
        res.writeHead(500, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
      }
    }
  }
  #onClose(ex) {
    ex.closed = true;
    this.#clearTimer(ex);
    if (ex.status === 0) this.stats.dropped++;
    if (ex.admitted) this.stats.leave();
  }
  #onBody(ex, route, raw) {
    if (ex.closed) return;
    let json;
    try {
      json = JSON.parse(raw);
    } catch {
      this.#sendError(ex, invalidJson());
      return;
    }
    const requireModel = route.deployment === void 0;
    const parsed = route.op === "chat" ? parseChatBody(json, requireModel) : parseEmbeddingsBody(json, requireModel);
    if ("status" in parsed) {
      this.#sendError(ex, parsed);
      return;
    }
    const model = this.#resolveModel(route, parsed.model);
    if (typeof model !== "string") {
      this.#sendError(ex, model);
      return;
    }
    const responseModel = this.config.flavor === "openai" ? parsed.model ?? model : model;
    const rl = {
      flavor: this.config.flavor,
      op: route.op,
      model: responseModel,
      apiVersion: route.apiVersion
    };
    if ("messages" in parsed) this.#chat(ex, parsed, responseModel, rl);
    else this.#embeddings(ex, parsed, model, rl);
  }
  #resolveModel(route, bodyModel) {
    const { flavor, catalog } = this.config;
    let model;
    if (flavor === "openai") {
      if (bodyModel === void 0) return missingParam("model");
      model = catalog.get(bodyModel);
      if (model === void 0) return modelNotFound(bodyModel);
    } else {
      const deployment = route.deployment ?? bodyModel;
      if (deployment === void 0) return missingParam("model");
      model = catalog.get(deployment);
      if (model === void 0) return deploymentNotFound();
    }
    if (route.op === "embeddings" !== isEmbeddingModel(model))
      return wrongOperation(flavor, route.op, model);
    return model;
  }
  #chat(ex, req, model, rl) {
    const promptTokens = countChatTokens(this.config.tokens, req.messages);
    if (!this.#admit(ex, promptTokens + (req.maxTokens ?? DEFAULT_OUTPUT_CHARGE), rl)) return;
    if (this.faults.current.hang) return;
    let promptKey = "";
    for (const m of req.messages) promptKey += `${m.role}${m.text}`;
    const choices = [];
    let completionTokens = 0;
    let longest = 0;
    for (let i = 0; i < req.n; i++) {
      const choice = generateReply(this.config.seed, promptKey, i, req.maxTokens);
      choices.push(choice);
      completionTokens += choice.tokens.length;
      longest = Math.max(longest, choice.tokens.length);
    }
    const plan = {
      id: `chatcmpl-${randomBase62(this.#ids, 29)}`,
      created: Math.floor(this.config.now() / 1e3),
      model,
      fingerprint: this.#fingerprint(model),
      choices,
      promptTokens,
      completionTokens,
      azure: this.config.flavor === "azure",
      includeUsage: req.includeUsage
    };
    const timing = this.#timing();
    if (req.stream) {
      this.#stream(ex, plan, timing);
      return;
    }
    const answer = () => {
      this.stats.promptTokens += promptTokens;
      this.stats.completionTokens += completionTokens;
      this.#send(ex, 200, renderCompletion(plan));
    };
    this.#after(ex, totalDelayMs(timing, longest), answer);
  }
  #embeddings(ex, req, model, rl) {
    const native = nativeDimensions(model);
    const badDimensions = checkDimensions(model, req.dimensions, native);
    if (badDimensions !== void 0) {
      this.#sendError(ex, badDimensions);
      return;
    }
    let promptTokens = 0;
    for (const input of req.inputs) {
      promptTokens += typeof input === "string" ? this.config.tokens.count(input) : input.length;
    }
    if (!this.#admit(ex, promptTokens, rl)) return;
    if (this.faults.current.hang) return;
    const body = () => {
      this.stats.promptTokens += promptTokens;
      return renderEmbeddings({
        seed: this.config.seed,
        model,
        inputs: req.inputs,
        dims: req.dimensions ?? native,
        encodingFormat: req.encodingFormat,
        promptTokens
      });
    };
    const timing = this.#timing();
    this.#after(ex, timing.startMs + timing.ttftMs, () => this.#send(ex, 200, body()));
  }
  /**
   * Applies faults, then limits. Returns true when the request is admitted (charged and counted in
   * flight); otherwise the answer (or reset) has been sent. Faulted and refused requests cost nothing.
   */
  #admit(ex, charge, rl) {
    const faults = this.faults;
    if (faults.drawReset()) {
      ex.req.socket.resetAndDestroy();
      return false;
    }
    const storm = faults.stormRemainingMs();
    if (storm > 0) {
      this.#sendError(ex, rateLimited(rl, { kind: "storm", retryAfterMs: storm }));
      return false;
    }
    if (faults.current.insufficientQuota) {
      this.#sendError(ex, insufficientQuota());
      return false;
    }
    const injected = faults.drawError();
    if (injected !== void 0) {
      this.#sendError(ex, injectedError(this.config.flavor, injected));
      return false;
    }
    const verdict = this.limiter.admit(charge, this.stats.inflight);
    if (!verdict.ok) {
      const { requests, tokens, config } = this.limiter;
      const kind = verdict.reason;
      const byTokens = kind === "tokens" || kind === "tokens-too-large";
      const bucket = byTokens ? tokens : requests;
      this.#sendError(
        ex,
        rateLimited(rl, {
          kind,
          retryAfterMs: verdict.retryAfterMs,
          limit: kind === "concurrency" ? config.concurrency : byTokens ? config.tpm : config.rpm,
          used: bucket === void 0 ? void 0 : Math.ceil(bucket.capacity - bucket.level()),
          requested: byTokens ? charge : 1
        })
      );
      return false;
    }
    if (this.limiter.hasRateLimits) ex.rateHeaders = this.limiter.headers();
    ex.admitted = true;
    this.stats.enter();
    return true;
  }
  #timing() {
    const f = this.faults.current;
    return this.#latency.sample(f.slowFactor ?? 1, f.slowStartMs ?? 0);
  }
  #stream(ex, plan, timing) {
    const cutAfter = this.faults.current.resetMidStreamAfterChunks;
    let events = renderStream(plan);
    let cut = false;
    if (cutAfter !== void 0) {
      let seen = 0;
      const at = events.findIndex((e) => e.kind === "content" && seen++ === cutAfter);
      if (at !== -1) {
        events = events.slice(0, at);
        cut = true;
      }
    }
    const due = (e) => e.kind === "preamble" ? 0 : timing.ttftMs + e.position * timing.perTokenMs;
    const start = () => {
      if (ex.closed) return;
      const headers = this.#headers(ex, "text/event-stream; charset=utf-8");
      headers["cache-control"] = "no-cache";
      this.#head(ex, 200, headers);
      this.stats.promptTokens += plan.promptTokens;
      const t0 = performance.now();
      let next = 0;
      const pump = () => {
        if (ex.closed) return;
        const elapsed = performance.now() - t0;
        let batch = "";
        let tokens = 0;
        while (next < events.length && due(events[next]) <= elapsed) {
          const e = events[next++];
          batch += e.data;
          if (e.kind === "content") tokens++;
        }
        this.stats.completionTokens += tokens;
        if (next < events.length) {
          if (batch !== "") ex.res.write(batch);
          this.#later(ex, pump, due(events[next]) - elapsed);
        } else if (cut) {
          const socket = ex.req.socket;
          ex.res.write(batch, () => socket.destroy());
        } else {
          ex.res.end(batch);
        }
      };
      pump();
    };
    this.#after(ex, timing.startMs, start);
  }
  #models(ex, route) {
    const ids = [...this.config.catalog.keys()];
    const model = (id) => ({ id, object: "model", created: MODEL_CREATED, owned_by: "system" });
    if (route.op === "list-models") {
      this.#send(ex, 200, JSON.stringify({ object: "list", data: ids.map(model) }));
      return;
    }
    if (!this.config.catalog.has(route.id)) {
      this.#sendError(ex, modelNotFound(route.id));
      return;
    }
    this.#send(ex, 200, JSON.stringify(model(route.id)));
  }
  #fingerprint(model) {
    let fp = this.#fingerprints.get(model);
    if (fp === void 0) {
      fp = `fp_${hashString(model, this.config.seed).toString(16).padStart(8, "0")}`;
      this.#fingerprints.set(model, fp);
    }
    return fp;
  }
  #headers(ex, contentType) {
    const headers = {
      "content-type": contentType,
      "openai-processing-ms": String(Math.max(0, Math.round(this.config.now() - ex.started))),
      "x-sim-endpoint": this.config.name
    };
    if (this.config.flavor === "azure") {
      const id = randomUuid(this.#ids);
      headers["apim-request-id"] = id;
      headers["x-request-id"] = id;
    } else {
      headers["x-request-id"] = `req_${randomHex(this.#ids, 32)}`;
    }
    const rate = ex.rateHeaders ?? (this.limiter.hasRateLimits ? this.limiter.headers() : void 0);
    if (rate !== void 0) Object.assign(headers, rate);
    return headers;
  }
  #head(ex, status, headers) {
    ex.status = status;
    this.stats.status(status);
    ex.res.writeHead(status, headers);
  }
  #send(ex, status, body, extra) {
    if (ex.closed) return;
    const headers = this.#headers(ex, "application/json");
    if (extra !== void 0) Object.assign(headers, extra);
    headers["content-length"] = Buffer.byteLength(body);
    this.#head(ex, status, headers);
    ex.res.end(body);
  }
  #sendError(ex, error) {
    this.#send(ex, error.status, error.body, error.headers);
  }
  /** Runs `fn` after `ms`, synchronously when there is no delay (the benchmark path). */
  #after(ex, ms, fn) {
    if (ms <= 0) fn();
    else this.#later(ex, fn, ms);
  }
  #later(ex, fn, ms) {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      ex.timer = void 0;
      fn();
    }, ms);
    this.#timers.add(timer);
    ex.timer = timer;
  }
  #clearTimer(ex) {
    if (ex.timer === void 0) return;
    clearTimeout(ex.timer);
    this.#timers.delete(ex.timer);
    ex.timer = void 0;
  }
};
function checkDimensions(model, dimensions, native) {
  if (dimensions === void 0) return void 0;
  if (!supportsDimensions(model)) {
    return invalidParam("dimensions", "This model does not support specifying dimensions.");
  }
  if (dimensions > native) {
    return invalidParam(
      "dimensions",
      `Invalid 'dimensions': integer above maximum value. Expected a value <= ${native}.`
    );
  }
  return void 0;
}

// src/sim/fleet.ts
function generatedKey(seed, name) {
  return `sk-sim-${randomBase62(mulberry32(deriveSeed(seed, name, "api-key")), 32)}`;
}
function bearerPrefixOf(prefix) {
  return prefix === void 0 ? DEFAULT_BEARER_PREFIX : prefix;
}
function describe(config, url, apiKey) {
  if (config.type === "openai") {
    return Object.freeze({
      name: config.name,
      type: "openai",
      url,
      apiKey,
      baseURL: `${url}/v1`,
      models: Object.freeze([...config.models])
    });
  }
  return Object.freeze({
    name: config.name,
    type: "azure",
    url,
    apiKey,
    endpoint: url,
    deployments: Object.freeze({ ...config.deployments })
  });
}
var RunningFleet = class {
  endpoints;
  #servers;
  #byName;
  #closed;
  constructor(servers, endpoints) {
    this.#servers = servers;
    this.endpoints = Object.freeze([...endpoints]);
    this.#byName = new Map(endpoints.map((e) => [e.name, e]));
  }
  endpoint(name) {
    const e = this.#byName.get(name);
    if (e === void 0) throw this.#unknown(name);
    return e;
  }
  stats(name) {
    return this.#server(name).stats.snapshot();
  }
  resetStats(name) {
    if (name === void 0) for (const s of this.#servers.values()) s.stats.reset();
    else this.#server(name).stats.reset();
  }
  setFaults(name, faults) {
    const server = this.#server(name);
    if (this.#closed !== void 0) throw new SimError("SIM_CLOSED", "The sim fleet is closed.");
    server.setFaults(parseFaults(faults));
  }
  close() {
    this.#closed ??= Promise.all([...this.#servers.values()].map((s) => s.close())).then(() => void 0);
    return this.#closed;
  }
  #server(name) {
    const s = this.#servers.get(name);
    if (s === void 0) throw this.#unknown(name);
    return s;
  }
  #unknown(name) {
    const known = [...this.#servers.keys()].join(", ");
    return new SimError("SIM_UNKNOWN_ENDPOINT", `Unknown sim endpoint "${name}" (known: ${known}).`);
  }
};
async function startFleet(options) {
  const { seed, host, endpoints, now = systemClock } = parseFleetOptions(options);
  const tokens = new TokenCounter();
  const servers = /* @__PURE__ */ new Map();
  const keys = /* @__PURE__ */ new Map();
  for (const e of endpoints) {
    const apiKey = e.apiKey ?? generatedKey(seed, e.name);
    keys.set(e.name, apiKey);
    const catalog = e.type === "openai" ? new Map(e.models.map((m) => [m, m])) : new Map(Object.entries(e.deployments).map(([model, deployment]) => [deployment, model]));
    servers.set(
      e.name,
      new SimServer({
        name: e.name,
        flavor: e.type,
        seed,
        host,
        port: e.port ?? 0,
        apiKey,
        catalog,
        bearerPrefix: e.type === "azure" ? bearerPrefixOf(e.acceptBearerPrefix) : null,
        limits: e.limits ?? {},
        latency: e.latency,
        faults: e.faults ?? {},
        now,
        tokens
      })
    );
  }
  const results = await Promise.allSettled([...servers.values()].map((s) => s.listen()));
  const failed = results.findIndex((r) => r.status === "rejected");
  if (failed !== -1) {
    await Promise.all([...servers.values()].map((s) => s.close()));
    const reason = results[failed].reason;
    const name = endpoints[failed]?.name ?? "?";
    throw new SimError("SIM_LISTEN_FAILED", `Sim endpoint "${name}" could not listen: ${String(reason)}`, {
      cause: reason
    });
  }
  const described = endpoints.map((e) => describe(e, servers.get(e.name).url, keys.get(e.name)));
  return new RunningFleet(servers, described);
}
export {
  DEFAULT_OUTPUT_CHARGE,
  SimError,
  formatGoDuration,
  startFleet
};

/**
 * Keys and tokens out of what a caller sees. An upstream may echo what it was sent — in its error's
 * message, anywhere in its error body, in a response header — and `inspect(error)` prints the whole
 * `cause` chain with all of that, so the chain is scrubbed in place before an error reaches a caller.
 */

/** Returns `text` with every secret replaced by `[redacted]` (the same string when there was none). */
export type Redact = (text: string) => string;

/** Errors down a cause chain that are scrubbed. */
const MAX_CHAIN = 8;
/** Depth of a body (the `error` object an SDK error carries) that is scrubbed. */
const MAX_DEPTH = 10;
/** Values of one error's fields that are visited at most (a huge body is not walked forever). */
const MAX_NODES = 10_000;

/**
 * Scrubs an error and every error down its `cause` chain, in place: `message`, `stack`, every string
 * field (`param`, `code`, an `excerpt` of a body), every object field at any depth (the body an SDK
 * error keeps as `error`, nested details included) and every `Headers` (replaced by a redacted copy).
 * Fields that cannot be redefined (a frozen object) are left as they are.
 * @example
 * scrubError(routerError, redact); // inspect(routerError) now shows [redacted] where the key was
 */
export function scrubError(error: unknown, redact: Redact): void {
  const seen = new Set<object>();
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < MAX_CHAIN && !seen.has(e); depth++) {
    seen.add(e);
    const budget = { nodes: MAX_NODES };
    redefine(e, "message", redact);
    redefine(e, "stack", redact);
    for (const key of Object.keys(e)) {
      if (key === "cause") continue;
      scrubField(e as unknown as Record<string, unknown>, key, redact, seen, 0, budget);
    }
    e = e.cause;
  }
}

function scrubField(
  owner: Record<string, unknown>,
  key: string,
  redact: Redact,
  seen: Set<object>,
  depth: number,
  budget: { nodes: number },
): void {
  if (--budget.nodes <= 0) return;
  let value: unknown;
  try {
    value = owner[key];
  } catch {
    return;
  }
  if (typeof value === "string") {
    redefine(owner, key, redact);
    return;
  }
  if (typeof value !== "object" || value === null || seen.has(value) || value instanceof Error) return;
  if (isHeaders(value)) {
    const clean = redactHeaders(value, redact);
    if (clean !== value) set(owner, key, clean);
    return;
  }
  if (depth >= MAX_DEPTH) return;
  seen.add(value);
  for (const k of Object.keys(value))
    scrubField(value as Record<string, unknown>, k, redact, seen, depth + 1, budget);
}

/** Replaces a string property with its redacted text, keeping its enumerability. */
function redefine(owner: object, key: string, redact: Redact): void {
  const value = (owner as Record<string, unknown>)[key];
  if (typeof value !== "string") return;
  const clean = redact(value);
  if (clean !== value) set(owner, key, clean);
}

function set(owner: object, key: string, value: unknown): void {
  const enumerable = Object.getOwnPropertyDescriptor(owner, key)?.enumerable ?? false;
  try {
    Object.defineProperty(owner, key, { value, configurable: true, writable: true, enumerable });
  } catch {
    // A frozen or non-configurable field: nothing to do but leave it.
  }
}

/** Duck-typed: the undici package's Headers is not `instanceof` the global Headers class. */
function isHeaders(value: object): value is Headers {
  return typeof (value as Headers).get === "function" && typeof (value as Headers).forEach === "function";
}

/** The same headers when no name or value holds a secret, else a copy with them redacted. */
function redactHeaders(headers: Headers, redact: Redact): Headers {
  let dirty = false;
  const entries: [string, string][] = [];
  headers.forEach((value, name) => {
    const cleanName = redact(name);
    const cleanValue = redact(value);
    if (cleanName !== name || cleanValue !== value) dirty = true;
    entries.push([cleanName, cleanValue]);
  });
  if (!dirty) return headers;
  const clean = new Headers();
  for (const [name, value] of entries) {
    try {
      clean.append(name, value);
    } catch {
      // A name that is no longer a valid token after redaction: dropped.
    }
  }
  return clean;
}

/** Bearer tokens from `azureADTokenProvider`s remembered for redaction (they rotate: the latest few). */
const REMEMBERED_TOKENS = 8;

/**
 * The secrets a router holds: its endpoints' keys and the latest Entra ID tokens, and the `redact`
 * that takes them out of any text.
 * @example
 * const secrets = new Secrets(["sk-…"]);
 * secrets.redact("key sk-… echoed"); // "key [redacted] echoed"
 */
export class Secrets {
  private readonly keys: readonly string[];
  private readonly tokens: string[] = [];

  constructor(keys: readonly string[]) {
    this.keys = keys;
  }

  /** A token an endpoint just obtained: redacted like a key from now on. */
  remember(token: string): void {
    if (this.keys.includes(token) || this.tokens.includes(token)) return;
    this.tokens.push(token);
    if (this.tokens.length > REMEMBERED_TOKENS) this.tokens.shift();
  }

  readonly redact: Redact = (text) => redactAll(redactAll(text, this.keys), this.tokens);
}

function redactAll(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets)
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join("[redacted]");
  return out;
}

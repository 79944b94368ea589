import { apiError, invalidParam, type WireError } from "../errors.js";

/**
 * The request checks of the sim, worded as the services word them. Messages and codes follow what
 * openai.com returns (collected from its responses as quoted in public bug reports, e.g.
 * "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead."
 * with code `decimal_above_max_value`); the ranges come from the published spec
 * (openai/openai-openapi `CreateChatCompletionRequest`). Azure answers validation errors in the
 * same shape. Hand-written, not a schema validator: this runs on every request and must stay cheap.
 */

/** A JSON object as parsed from a request body. */
export type Json = Record<string, unknown>;

/** True for a JSON object (not null, not an array). */
export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** How the services name a JSON value's type in "expected X, but got Y instead". */
export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (Number.isInteger(v)) return "an integer";
  if (typeof v === "number") return "a decimal";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/** "Invalid type for 'x': expected a string, but got an integer instead." (`invalid_type`). */
export function wrongType(param: string, expected: string, got: unknown): WireError {
  return invalidParam(
    param,
    `Invalid type for '${param}': expected ${expected}, but got ${typeName(got)} instead.`,
    "invalid_type",
  );
}

/** 400 for a top-level field the API does not define (`param` and `code` are null on the service). */
export function unrecognizedArgument(name: string): WireError {
  return apiError(400, `Unrecognized request argument supplied: ${name}`, "invalid_request_error");
}

/** "Invalid value: 'x'. Supported values are: 'a', 'b', and 'c'." */
export function invalidEnum(param: string, value: unknown, allowed: readonly string[]): WireError {
  const quoted = allowed.map((a) => `'${a}'`);
  const list =
    quoted.length <= 2 ? quoted.join(" and ") : `${quoted.slice(0, -1).join(", ")}, and ${quoted.at(-1)}`;
  return invalidParam(param, `Invalid value: '${String(value)}'. Supported values are: ${list}.`);
}

/** A value read from the body: absent (`undefined`, also for JSON null when allowed), a value, or the 400. */
export type Read<T> = T | undefined | WireError;

/** Tells a {@link Read} failure (the 400 to send) from a value. */
export function isError(v: unknown): v is WireError {
  return isObject(v) && typeof v.status === "number" && typeof v.body === "string";
}

/** A number in [min, max]; `integer` picks the integer wording and type check. Null reads as absent. */
export function readNumber(
  body: Json,
  param: string,
  min: number,
  max: number,
  integer = false,
  path = param,
): Read<number> {
  const v = body[param];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || (integer && !Number.isInteger(v))) {
    return wrongType(path, integer ? "an integer" : "a decimal", v);
  }
  const kind = integer ? "integer" : "decimal";
  if (v < min) {
    return invalidParam(
      path,
      `Invalid '${path}': ${kind} below minimum value. Expected a value >= ${min}, but got ${v} instead.`,
      `${kind}_below_min_value`,
    );
  }
  if (v > max) {
    return invalidParam(
      path,
      `Invalid '${path}': ${kind} above maximum value. Expected a value <= ${max}, but got ${v} instead.`,
      `${kind}_above_max_value`,
    );
  }
  return v;
}

/** A boolean; JSON null reads as absent unless `nullable` is false (then it is a type error). */
export function readBoolean(body: Json, param: string, nullable = true, path = param): Read<boolean> {
  const v = body[param];
  if (v === undefined || (v === null && nullable)) return undefined;
  if (typeof v !== "boolean") return wrongType(path, "a boolean", v);
  return v;
}

/** A string, optionally one of `allowed`. Null reads as absent. */
export function readString(
  body: Json,
  param: string,
  allowed?: readonly string[],
  path = param,
): Read<string> {
  const v = body[param];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") return wrongType(path, "a string", v);
  if (allowed !== undefined && !allowed.includes(v)) return invalidEnum(path, v, allowed);
  return v;
}

/** "Invalid 'stop': array too long. Expected an array with maximum length 4, but got … length 5 instead." */
export function arrayTooLong(param: string, max: number, got: number): WireError {
  return invalidParam(
    param,
    `Invalid '${param}': array too long. Expected an array with maximum length ${max}, but got an array with length ${got} instead.`,
    "array_above_max_length",
  );
}

/** "Invalid 'x': empty array. Expected an array with minimum length 1, …" (`empty_array`). */
export function emptyArray(param: string): WireError {
  return invalidParam(
    param,
    `Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
    "empty_array",
  );
}

/** The first field of `body` not in `known`, as a 400; undefined when all are known. */
export function checkKnownFields(body: Json, known: ReadonlySet<string>): WireError | undefined {
  for (const key in body) if (!known.has(key)) return unrecognizedArgument(key);
  return undefined;
}

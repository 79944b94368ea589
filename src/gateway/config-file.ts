import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parseDocument } from "yaml";
import { parseConfig, type RouterConfig } from "../config.js";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { parseGatewayConfig, type ResolvedGatewayConfig } from "./config.js";

/** A config file, read, resolved and validated: the router's part and the gateway's. */
export interface ConfigFile {
  /** Everything but `gateway:`, for `createRouter` (`${ENV}` references resolved). */
  readonly router: RouterConfig;
  /** The `gateway:` section with defaults. */
  readonly gateway: ResolvedGatewayConfig;
}

/** The environment `${NAME}` references are read from. */
export type Environment = Readonly<Record<string, string | undefined>>;

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Reads a config file (YAML, or JSON: `.json` files are parsed as JSON, anything else as YAML, which
 * accepts JSON too): the `createRouter` schema plus a `gateway:` section. String values may reference
 * the environment as `${NAME}` (or `${NAME:-default}`; `$${` writes a literal `${`), resolved here,
 * at start; an unset variable without a default is a problem naming it and where it is used.
 * @example
 * const { router, gateway } = loadConfigFile("router.yaml");
 * @throws ConfigError (`CONFIG_INVALID`) listing every problem with its path: unreadable file, syntax,
 * unset variables, router schema, gateway schema. Values are never echoed.
 */
export function loadConfigFile(path: string, env: Environment = process.env): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError([{ path: "(file)", message: `cannot read ${path} (${code})` }]);
  }
  return parseConfigText(text, extname(path).toLowerCase() === ".json" ? "json" : "yaml", env);
}

/**
 * {@link loadConfigFile} on text already read.
 * @throws ConfigError (`CONFIG_INVALID`) listing every problem with its path.
 */
export function parseConfigText(
  text: string,
  format: "yaml" | "json",
  env: Environment = process.env,
): ConfigFile {
  const issues: ConfigIssue[] = [];
  let raw: unknown;
  if (format === "json") {
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new ConfigError([{ path: "(file)", message: `not valid JSON: ${(error as Error).message}` }]);
    }
  } else {
    const doc = parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0)
      throw new ConfigError(
        doc.errors.map((e) => ({
          path: "(file)",
          message: `YAML: ${e.message.split("\n")[0] ?? e.message}`,
        })),
      );
    raw = doc.toJS();
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new ConfigError([
      { path: "(root)", message: "must be a mapping with `endpoints` (and `gateway`)" },
    ]);
  const resolved = resolveReferences(raw, env, [], issues) as Record<string, unknown>;
  const { gateway: section, ...router } = resolved;
  try {
    parseConfig(router);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
  }
  const { config, issues: gatewayIssues } = parseGatewayConfig(section, servedModels(router));
  issues.push(...gatewayIssues);
  if (issues.length > 0 || !config) throw new ConfigError(issues);
  return { router: router as RouterConfig, gateway: config };
}

/** Replaces `${NAME}` references in every string of a parsed file, recording unset variables. */
function resolveReferences(value: unknown, env: Environment, path: string[], issues: ConfigIssue[]): unknown {
  if (typeof value === "string") {
    if (!value.includes("${")) return value;
    return value.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === "$${") return "${";
      const set = env[name as string];
      if (set !== undefined && set !== "") return set;
      if (fallback !== undefined) return fallback;
      issues.push({
        path: path.join(".") || "(root)",
        message: `environment variable ${name} is not set (referenced as \${${name}})`,
      });
      return "";
    });
  }
  if (Array.isArray(value))
    return value.map((v, i) => resolveReferences(v, env, [...path, String(i)], issues));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveReferences(v, env, [...path, k], issues);
    return out;
  }
  return value;
}

/** Models the endpoints of a raw router config serve (tolerant: the schema reports malformed ones). */
function servedModels(router: Record<string, unknown>): Set<string> {
  const models = new Set<string>();
  const endpoints = Array.isArray(router.endpoints) ? router.endpoints : [];
  for (const e of endpoints as { deployments?: unknown; models?: unknown }[]) {
    if (typeof e?.deployments === "object" && e.deployments !== null)
      for (const m of Object.keys(e.deployments)) models.add(m);
    if (Array.isArray(e?.models)) for (const m of e.models) if (typeof m === "string") models.add(m);
  }
  return models;
}

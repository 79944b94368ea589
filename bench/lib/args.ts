import { parseArgs } from "node:util";

/** Flag spec: name → default value; every flag is `--name value` (or `--name` for booleans). */
export type FlagSpec = Readonly<Record<string, number | boolean | string>>;

type Parsed<S extends FlagSpec> = {
  -readonly [K in keyof S]: S[K] extends number ? number : S[K] extends boolean ? boolean : string;
};

/**
 * Parses `--flag value` arguments against defaults, converting numbers; `--help` prints the flags.
 * @throws RangeError naming the flag when a number flag is not a finite number.
 */
export function flags<S extends FlagSpec>(usage: string, spec: S, argv = process.argv.slice(2)): Parsed<S> {
  const options: Record<string, { type: "string" | "boolean" }> = { help: { type: "boolean" } };
  for (const [name, def] of Object.entries(spec))
    options[name] = { type: typeof def === "boolean" ? "boolean" : "string" };
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  if (values.help) {
    console.log(usage);
    for (const [name, def] of Object.entries(spec))
      console.log(`  --${name}${typeof def === "boolean" ? "" : " <value>"}  (default ${def})`);
    process.exit(0);
  }
  const out: Record<string, number | boolean | string> = {};
  for (const [name, def] of Object.entries(spec)) {
    const raw = values[name];
    if (raw === undefined) out[name] = def;
    else if (typeof def === "number") {
      const n = Number(raw);
      if (!Number.isFinite(n))
        throw new RangeError(`Expected --${name} to be a number, got ${JSON.stringify(raw)}.`);
      out[name] = n;
    } else out[name] = raw;
  }
  return out as Parsed<S>;
}

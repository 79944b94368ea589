/**
 * True on CI's repeat runs of the suite on other Node versions (`.ci/run` sets `VITEST_NODE_REPEAT=1`
 * for Node 22 and 24). Checks whose outcome cannot depend on the running Node (tsc over the public
 * types, the packed file list, links in the shipped docs) ran once already on Node 20 and are skipped
 * there; `npm test` leaves the variable unset and runs everything.
 */
export const nodeRepeat = process.env.VITEST_NODE_REPEAT === "1";

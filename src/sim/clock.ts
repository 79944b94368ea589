/** Milliseconds since some fixed origin; `Date.now` in production, a counter in tests. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

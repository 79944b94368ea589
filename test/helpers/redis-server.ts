// The tests start a real redis-server on a free loopback port (persistence off) and fail loudly when the
// binary is missing: nothing is skipped. The same starter serves the multi-process demo.
export { type RedisServer, redisServerBinary, startRedisServer } from "../../src/cli/redis-server.js";

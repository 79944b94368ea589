/**
 * The Lua scripts that keep each lane's real buckets in Redis. Every script reads the clock with
 * `TIME` on the server (never the callers' clocks, which disagree across hosts), unless ARGV[1] is a
 * number: the tests pass virtual time there. All keys a script touches are named by the caller, and the
 * keys of one lane share a hash tag (`…:{lane}:…`), so the scripts run on Redis Cluster too.
 *
 * A lane's hash holds the same token buckets as the in-process `TokenBucket` (continuous refill, the
 * requests bucket one enforcement window large, a 429's share floor recovering linearly), so both
 * stores spend a quota alike. Numbers go back to the caller as strings: Redis truncates Lua numbers
 * to integers in replies.
 */

/**
 * A replica's presence in a replicas set (scored by the time it was last heard from): joins (or, with
 * 'leave', leaves), drops the replicas silent for `stale` ms and answers how many are left.
 */
const MEMBER = `
local function member(key, now, id, stale, leave)
  if leave == 'leave' then
    redis.call('ZREM', key, id)
  else
    redis.call('ZADD', key, now, id)
  end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - stale)
  redis.call('PEXPIRE', key, stale * 2)
  return redis.call('ZCARD', key)
end
`;

/** Helpers shared by the budget scripts (prepended to each). */
const PRELUDE = `
local F = {'rpm','tpm','rcap','tcap','r','t','last','rf','rat','tf','tat','rec','cool','rq','tq'}
local function clock(arg)
  local n = tonumber(arg)
  if n then return n end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function load(key, now, rpm, tpm, window)
  local v = redis.call('HMGET', key, unpack(F))
  local b = {}
  for i, f in ipairs(F) do b[f] = tonumber(v[i]) end
  if b.last == nil then
    b.rpm = rpm
    b.tpm = tpm
    b.rcap = 0
    if rpm > 0 then b.rcap = math.max(1, rpm * window / 60) end
    b.tcap = tpm
    b.r = b.rcap
    b.t = b.tcap
    b.last = now
    b.rf = 1
    b.rat = 0
    b.tf = 1
    b.tat = 0
    b.rec = 120000
    b.cool = 0
  end
  b.rq = b.rq or -1e15
  b.tq = b.tq or -1e15
  return b
end
local function share(floor, at, rec, now)
  if floor >= 1 then return 1 end
  local s = floor + math.max(0, now - at) / rec
  if s >= 1 then return 1 end
  return s
end
local function refill(b, now)
  if now > b.last then
    local dt = now - b.last
    local sr = share(b.rf, b.rat, b.rec, now)
    local st = share(b.tf, b.tat, b.rec, now)
    if b.rpm > 0 then b.r = math.min(b.rcap * sr, b.r + dt * b.rpm / 60000 * sr) end
    if b.tpm > 0 then b.t = math.min(b.tcap * st, b.t + dt * b.tpm / 60000 * st) end
    if sr >= 1 then b.rf = 1 end
    if st >= 1 then b.tf = 1 end
    b.last = now
  end
end
local function save(key, b, ttl)
  local args = {}
  for _, f in ipairs(F) do
    args[#args + 1] = f
    args[#args + 1] = string.format('%.17g', b[f])
  end
  redis.call('HSET', key, unpack(args))
  redis.call('PEXPIRE', key, ttl)
end
local function fmt(n) return string.format('%.17g', n) end
${MEMBER}`;

/**
 * LEASE: hands back unused units, settles a debt (what a replica spent on its own while Redis was
 * away), then grants up to the wanted slice of both buckets, all or nothing: a grant always holds at
 * least one request and `minTokens` tokens, so no replica holds a slice it cannot use.
 *
 * The cushion: a leased unit is counted here when granted but reaches the service up to `cushionMs`
 * later (it waits in a lease for at most the lease's lifetime, then travels). Arrivals at the service
 * can then bunch up by `rate × cushionMs` more than grants did; never granting the bucket's last
 * `rate × cushionMs` units absorbs exactly that, so what arrives fits the service's own bucket. It
 * costs that much burst once (when the bucket first runs dry), never any of the steady rate.
 *
 * KEYS[1] the lane's hash. ARGV: now|'' · rpm · tpm · window s (used when the hash is new) · wanted
 * requests · wanted tokens · minTokens · returned requests · returned tokens · debt requests · debt
 * tokens · key ttl ms · cushion ms · replica id · stale ms.
 *
 * KEYS[2], when given, is the lane's replicas set: the renewal doubles as this replica's heartbeat on
 * the lane (see HEARTBEAT), so a busy replica sends no heartbeats of its own.
 *
 * Reply: granted requests, granted tokens, wait ms (0 = granted; -1 = minTokens never fits), cooling ms
 * left, then as strings rpm, tpm, requests capacity, tokens capacity, requests level, tokens level,
 * requests share, tokens share, and the server's now; last the live replicas on the lane (0 without
 * KEYS[2]).
 */
export const LEASE_SCRIPT = `${PRELUDE}
local now = clock(ARGV[1])
local b = load(KEYS[1], now, tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
refill(b, now)
local wantR, wantT, minT = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local sr = share(b.rf, b.rat, b.rec, now)
local st = share(b.tf, b.tat, b.rec, now)
if b.rpm > 0 then
  b.r = math.max(-b.rcap, math.min(b.rcap * sr, b.r + tonumber(ARGV[8])) - tonumber(ARGV[10]))
end
if b.tpm > 0 then
  b.t = math.max(-b.tcap, math.min(b.tcap * st, b.t + tonumber(ARGV[9])) - tonumber(ARGV[11]))
end
local gr, gt, wait = 0, 0, 0
local cushionMs = tonumber(ARGV[13]) or 0
local cr = math.min(b.rcap * sr - 1, b.rpm * sr / 60000 * cushionMs)
local ct = math.min(b.tcap * st - minT, b.tpm * st / 60000 * cushionMs)
if cr < 0 then cr = 0 end
if ct < 0 then ct = 0 end
local cooling = math.max(0, b.cool - now)
if cooling > 0 then
  wait = math.ceil(cooling)
elseif b.tpm > 0 and minT > b.tcap then
  wait = -1
elseif wantR > 0 then
  local okR = b.rpm <= 0 or b.r - cr >= 1 - 1e-9
  local okT = b.tpm <= 0 or b.t - ct >= minT - 1e-9
  if okR and okT then
    gr = math.floor(wantR)
    if b.rpm > 0 then gr = math.min(gr, math.floor(b.r - cr + 1e-9)) end
    gt = math.max(math.floor(wantT), minT)
    if b.tpm > 0 then gt = math.min(gt, math.floor(b.t - ct + 1e-9)) end
    if b.rpm > 0 then b.r = b.r - gr end
    if b.tpm > 0 then b.t = b.t - gt end
  else
    local w = 0
    if not okR then w = math.max(w, (1 + cr - b.r) / (b.rpm * sr / 60000)) end
    if not okT then w = math.max(w, (minT + ct - b.t) / (b.tpm * st / 60000)) end
    wait = math.max(1, math.ceil(w))
  end
end
save(KEYS[1], b, tonumber(ARGV[12]))
local replicas = 0
if KEYS[2] then replicas = member(KEYS[2], now, ARGV[14], tonumber(ARGV[15]), '') end
return {gr, gt, wait, math.ceil(cooling), fmt(b.rpm), fmt(b.tpm), fmt(b.rcap), fmt(b.tcap), fmt(b.r), fmt(b.t),
  fmt(sr), fmt(st), fmt(now), replicas}
`;

/**
 * COOL: a 429 seen by one replica. The lane stops admitting until `now + coolMs` on the server and the
 * named budget is emptied. Its share shrinks by `factor` (never below `minShare`, recovering over
 * `recoveryMs`) only when the 429 shows other consumers of the quota: another 429 on that budget
 * within `windowMs` before, outside the same episode (a replica reporting a 429 while the lane already
 * cools for it). A lone 429 is the jitter of pacing at the limit: cooling is enough. Then the news is
 * published so every replica stops at once.
 *
 * KEYS[1] the lane's hash. ARGV: now|'' · rpm · tpm · window s · cool ms · drain
 * (requests|tokens|both|none) · factor · minShare · recoveryMs · key ttl ms · channel · lane · origin ·
 * windowMs.
 *
 * Reply: cooling ms left, requests share, tokens share (strings).
 */
export const COOL_SCRIPT = `${PRELUDE}
local now = clock(ARGV[1])
local b = load(KEYS[1], now, tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
refill(b, now)
local drain = ARGV[6]
local factor, minShare, rec = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local episode = b.cool > now
local windowMs = tonumber(ARGV[14]) or 10000
b.cool = math.max(b.cool, now + tonumber(ARGV[5]))
if b.rpm > 0 and (drain == 'requests' or drain == 'both') then
  b.r = math.min(b.r, 0)
  if not episode then
    if now - b.rq <= windowMs then
      b.rf = math.max(minShare, share(b.rf, b.rat, b.rec, now) * factor)
      b.rat = now
    end
    b.rq = now
  end
end
if b.tpm > 0 and (drain == 'tokens' or drain == 'both') then
  b.t = math.min(b.t, 0)
  if not episode then
    if now - b.tq <= windowMs then
      b.tf = math.max(minShare, share(b.tf, b.tat, b.rec, now) * factor)
      b.tat = now
    end
    b.tq = now
  end
end
b.rec = rec
save(KEYS[1], b, tonumber(ARGV[10]))
local sr = share(b.rf, b.rat, b.rec, now)
local st = share(b.tf, b.tat, b.rec, now)
local left = math.ceil(b.cool - now)
redis.call('PUBLISH', ARGV[11], cjson.encode({t = 'cool', lane = ARGV[12], from = ARGV[13], ms = left,
  drain = drain, sr = sr, st = st}))
return {fmt(left), fmt(sr), fmt(st)}
`;

/**
 * LIMITS: a limit learned from a service's headers, shared by every replica. The bucket keeps its
 * fill ratio (as `TokenBucket.reconfigure` does). Publishes only when something changed.
 *
 * KEYS[1] the lane's hash. ARGV: now|'' · rpm · tpm · window s · learned rpm|'' · learned tpm|'' ·
 * key ttl ms · channel · lane · origin. Reply: 1 when a limit changed, else 0.
 */
export const LIMITS_SCRIPT = `${PRELUDE}
local now = clock(ARGV[1])
local window = tonumber(ARGV[4])
local b = load(KEYS[1], now, tonumber(ARGV[2]), tonumber(ARGV[3]), window)
refill(b, now)
local changed = 0
local rpm, tpm = tonumber(ARGV[5]), tonumber(ARGV[6])
if rpm and rpm > 0 and math.abs(rpm - b.rpm) > 1e-6 then
  local cap = math.max(1, rpm * window / 60)
  local ratio = 1
  if b.rpm > 0 and b.rcap > 0 then ratio = b.r / b.rcap end
  b.rpm = rpm
  b.rcap = cap
  b.r = math.min(cap, ratio * cap)
  changed = 1
end
if tpm and tpm > 0 and math.abs(tpm - b.tpm) > 1e-6 then
  local ratio = 1
  if b.tpm > 0 and b.tcap > 0 then ratio = b.t / b.tcap end
  b.tpm = tpm
  b.tcap = tpm
  b.t = math.min(tpm, ratio * tpm)
  changed = 1
end
save(KEYS[1], b, tonumber(ARGV[7]))
if changed == 1 then
  redis.call('PUBLISH', ARGV[8], cjson.encode({t = 'limits', lane = ARGV[9], from = ARGV[10], rpm = b.rpm,
    tpm = b.tpm}))
end
return changed
`;

/**
 * HEARTBEAT: a replica says it is alive on one lane (or, with 'leave', that it is going). Replicas not
 * heard from for `staleMs` are dropped. Each lane keeps its own set, beside its budget (one hash slot),
 * so a lease renewal can refresh it in the same call. KEYS[1] the replicas' sorted set. ARGV: now|'' ·
 * replica id · staleMs · 'leave'|''. Reply: the number of live replicas.
 */
export const HEARTBEAT_SCRIPT = `${MEMBER}
local n = tonumber(ARGV[1])
if not n then
  local t = redis.call('TIME')
  n = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
return member(KEYS[1], n, ARGV[2], tonumber(ARGV[3]), ARGV[4])
`;

/** Every script the shared store runs, by name (loaded once per connection, then called by SHA). */
export const SCRIPTS = {
  lease: LEASE_SCRIPT,
  cool: COOL_SCRIPT,
  limits: LIMITS_SCRIPT,
  heartbeat: HEARTBEAT_SCRIPT,
} as const;

/** The name of one of {@link SCRIPTS}. */
export type ScriptName = keyof typeof SCRIPTS;

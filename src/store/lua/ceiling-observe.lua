-- The adaptive Mattermost rate ceiling (src/mattermost/create-rate-ceiling.ts): learn from one
-- answer. KEYS[1] the ceiling's state. ARGV: [1] the configured ceiling, calls/s; [2] the call's
-- ticket (calls released when it went; 0 unknown); [3] 'none' (no usable X-Ratelimit-*
-- headers), 'headers' or '429'; [4] X-Ratelimit-Limit, [5] -Remaining, [6] -Reset (seconds until
-- the server's bucket is full again), [7] Retry-After (seconds); -1 where absent; [8] ttl in ms.
-- Slows down at once (a 429, or Remaining at or under twice the reserve), recovers additively
-- (5% of the ceiling per second, at least 1/s) when Remaining is comfortable or there are no
-- headers; a rise of a quarter since the last re-plan voids the slots booked at the slower pace.
-- An answer to a call released before the last cut says nothing about the new pace: it does
-- not cut again (a burst of 429s in flight halves the rate once, not once per 429).
-- Returns {r, lim, epoch} as strings. The first answer ends the blind start (ceiling-reserve.lua).
local function str(x) return string.format('%.17g', x) end
local function reserveOf(l) return math.max(2, math.ceil(l * 0.05)) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local max = tonumber(ARGV[1])
local ticket = tonumber(ARGV[2])
local kind = ARGV[3]
local L, R, S, RA = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local minRate = math.min(1, max)
local s = redis.call('HMGET', KEYS[1], 'r', 'lim', 'limAt', 'tok', 'tokAt', 'sent', 'queued', 'epoch', 'incAt', 'cutSent', 'nextMax', 'pause', 'epochRate', 'seen')
local r = math.min(max, tonumber(s[1]) or max)
local lim = tonumber(s[2]) or 0
local limAt = tonumber(s[3]) or 0
local sent = tonumber(s[6]) or 0
local queued = tonumber(s[7]) or 0
local epoch = tonumber(s[8]) or 0
local incAt = tonumber(s[9]) or 0
local cutSent = tonumber(s[10]) or 0
local nextMax = tonumber(s[11]) or 0
local pause = tonumber(s[12]) or 0
local epochRate = tonumber(s[13]) or r
local firstAnswer = s[14] ~= '1'
local cap = 1
if lim > 0 then cap = lim - reserveOf(lim) end
local tok = tonumber(s[4]) or cap
local tokAt = tonumber(s[5]) or now
if now > tokAt then tok = tok + r * (now - tokAt) / 1000000 end
tok = math.min(cap, tok)
-- Calls released after this one: the server had not counted them when it answered.
local after = 0
if ticket > 0 then after = math.max(0, sent - ticket) end
local fresh = ticket == 0 or ticket > cutSent

-- Every slot booked so far is void: sleeping calls book again at the new pace.
-- Their tokens come back (the headers' reconciliation below recounts them anyway).
local function replan()
  epoch = epoch + 1
  tok = math.min(cap, tok + queued)
  queued = 0
  nextMax = now
  epochRate = r
end
local function cut(newRate)
  r = math.max(minRate, newRate)
  cutSent = sent
  incAt = now
  replan()
end
local function increase()
  local dt = math.min(1000000, math.max(0, now - incAt))
  r = math.min(max, r + math.max(1, max * 0.05) * dt / 1000000)
  incAt = now
  if r >= epochRate * 1.25 and queued > 0 then replan() end
end

-- The first answer ends the blind start: calls booked to wait for it book again now.
if firstAnswer and queued > 0 then replan() end

if kind == 'headers' or (kind == '429' and L >= 1 and R >= 0) then
  local firstSeen = lim == 0
  lim = L
  limAt = now
  local res = reserveOf(L)
  cap = L - res
  R = math.min(R, L)
  -- A lower bound of the server's rate: it refills L - R - 1 calls or more within Reset seconds
  -- (throttled's GCRA: docs/mattermost.md#rate-limiting).
  local est = nil
  if S >= 1 and S <= 3600 and L - R - 1 >= 1 then est = (L - R - 1) / S end
  if kind == '429' then
    if fresh then cut(math.min(r / 2, est or r)) end
  elseif firstSeen then
    -- The server limits: until its rate is read, guess its default ratio (burst 100 at 10/s).
    cut(math.min(r, math.max(minRate, L / 10)))
  elseif R <= 2 * res then
    local newRate = nil
    if est then newRate = math.min(r, est) elseif fresh then newRate = r * 0.7 end
    if newRate and newRate < r * 0.9 then cut(newRate) elseif newRate then r = math.max(minRate, newRate) end
  else
    increase()
  end
  -- What the server has left, less what it has not seen yet (released after this call, booked).
  tok = math.min(cap, R - res) - after - queued
elseif kind == '429' then
  if fresh then cut(r / 2) end
  tok = math.min(tok, 0) - after
else
  -- Rate limiting turned off (or headers lost on the way): forget the server's burst after 5 s.
  if lim > 0 and now - limAt > 5000000 then lim = 0; cap = 1; tok = math.min(tok, 1) end
  increase()
end
if kind == '429' then
  -- Everyone waits for Retry-After, at most a second: Mattermost's is 1 s at any rate of 1/s or
  -- more; a longer one is the caller's own wait, not the whole cluster's.
  local ra = 1
  if RA >= 0 then ra = math.min(1, RA) end
  pause = math.max(pause, now + ra * 1000000)
end
redis.call('HSET', KEYS[1], 'r', str(r), 'lim', str(lim), 'limAt', str(limAt), 'tok', str(tok), 'tokAt', str(now),
  'sent', str(sent), 'queued', str(queued), 'epoch', str(epoch), 'incAt', str(incAt), 'cutSent', str(cutSent),
  'nextMax', str(nextMax), 'pause', str(pause), 'epochRate', str(epochRate), 'seen', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[8])
return {str(r), str(lim), str(epoch)}

-- The adaptive Mattermost rate ceiling (src/mattermost/create-rate-ceiling.ts): reserve the next
-- slot for one call, by Redis's own clock so that workers on different hosts agree.
-- KEYS[1] the ceiling's state (a hash, fields described in create-rate-ceiling.ts)
-- ARGV[1] the configured ceiling, calls/s; ARGV[2] longest wait in microseconds, -1 for any;
-- ARGV[3] the state's time to live in ms; ARGV[4] the epoch of the slot a call that slept for it
-- comes to take ('' for a new call).
-- A call goes when the estimated server tokens allow (refilled at the learned rate `r`, at most
-- the server's burst less a reserve) and no earlier than the configured ceiling's spacing (90%
-- of it) and any pause after a 429. Returns {wait µs, ticket, epoch, r, lim} as strings; wait is
-- negative (no slot taken) when it would exceed ARGV[2]. Until the first answer is recorded
-- (a new state: first start, or quiet for the state's lifetime) at most 8 calls go; the others
-- book 5 s ahead (or as far as they may wait) and are woken by the re-plan the first answer makes, so a burst does not
-- fly blind into a server that limits. ticket is set when the call goes now;
-- a call that waits comes back when its slot is due and takes it, unless the ceiling re-planned
-- meanwhile (a new epoch voids every booked slot): then it books again at once, ahead of calls
-- that book after it.
-- Numbers go back as %.17g: tostring keeps only 14 digits, too few for microseconds.
local function str(x) return string.format('%.17g', x) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local max = tonumber(ARGV[1])
local maxWait = tonumber(ARGV[2])
local s = redis.call('HMGET', KEYS[1], 'r', 'lim', 'tok', 'tokAt', 'nextMax', 'pause', 'sent', 'queued', 'epoch', 'seen')
local r = math.min(max, tonumber(s[1]) or max)
local lim = tonumber(s[2]) or 0
local cap = 1
if lim > 0 then cap = lim - math.max(2, math.ceil(lim * 0.05)) end
local tok = tonumber(s[3]) or cap
local tokAt = tonumber(s[4]) or now
if now > tokAt then tok = tok + r * (now - tokAt) / 1000000 end
tok = math.min(cap, tok)
local nextMax = tonumber(s[5]) or 0
local pause = tonumber(s[6]) or 0
local sent = tonumber(s[7]) or 0
local queued = tonumber(s[8]) or 0
local epoch = s[9] or '0'
local seen = s[10] or '0'

if ARGV[4] ~= '' and ARGV[4] == epoch then
  sent = sent + 1
  redis.call('HSET', KEYS[1], 'sent', str(sent), 'queued', str(math.max(0, queued - 1)))
  return {'0', str(sent), epoch, str(r), str(lim), seen}
end

local slot = now
if tok < 1 then slot = now + math.ceil((1 - tok) * 1000000 / r) end
slot = math.max(slot, nextMax, pause)
if seen == '0' and sent + queued >= 8 then
  -- Not past the caller's longest wait: a blind start is no reason to delay a job.
  local blind = 5000000
  if maxWait >= 0 then blind = math.min(blind, maxWait) end
  slot = math.max(slot, now + blind)
end
local wait = slot - now
if maxWait >= 0 and wait > maxWait then return {str(-wait), '0', epoch, str(r), str(lim), seen} end
tok = tok - 1
nextMax = slot + math.floor(1000000 / (max * 0.9))
local ticket = 0
if wait == 0 then sent = sent + 1; ticket = sent else queued = queued + 1 end
redis.call('HSET', KEYS[1], 'r', str(r), 'tok', str(tok), 'tokAt', str(now), 'nextMax', str(nextMax),
  'sent', str(sent), 'queued', str(queued), 'epoch', epoch)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {str(wait), str(ticket), epoch, str(r), str(lim), seen}

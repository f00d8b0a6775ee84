-- The adaptive Mattermost rate ceiling (src/mattermost/create-rate-ceiling.ts): what the cluster
-- may use now, without changing anything. KEYS[1] the ceiling's state; ARGV[1] the configured
-- ceiling, calls/s. Returns {rate the calls go at (learned, at most 90% of the ceiling), calls
-- that could go now without waiting for the server's limit} as strings.
-- Numbers go back as %.17g: tostring keeps only 14 digits, too few for microseconds.
local function str(x) return string.format('%.17g', x) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local max = tonumber(ARGV[1])
local s = redis.call('HMGET', KEYS[1], 'r', 'lim', 'tok', 'tokAt', 'pause')
local r = math.min(max, tonumber(s[1]) or max)
local lim = tonumber(s[2]) or 0
local cap = 1
if lim > 0 then cap = lim - math.max(2, math.ceil(lim * 0.05)) end
local tok = tonumber(s[3]) or cap
local tokAt = tonumber(s[4]) or now
if now > tokAt then tok = tok + r * (now - tokAt) / 1000000 end
tok = math.min(cap, tok)
if (tonumber(s[5]) or 0) > now then tok = 0 end
return {str(math.min(r, max * 0.9)), str(math.max(0, math.floor(tok)))}

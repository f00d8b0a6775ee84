-- The cluster-wide rate ceiling (src/mattermost/create-rate-ceiling.ts): reserve the next free
-- slot, slots `interval` microseconds apart, by Redis's own clock so that workers on different
-- hosts agree. Returns how long the caller waits for its slot, in microseconds.
-- KEYS[1] the next free slot; ARGV[1] interval in microseconds
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local nextFree = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(nextFree, now)
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', math.ceil((slot + interval - now) / 1000) + 1000)
return tostring(slot - now)

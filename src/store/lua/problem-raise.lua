-- Record a current problem, or refresh one already recorded (its start and notice stay).
-- KEYS[1] problems hash; ARGV: kind, now (ms), text, since (ms, or '' for now)
-- Returns {1 if it is new, the record as JSON}.
local current = redis.call('HGET', KEYS[1], ARGV[1])
local p
local new = 0
if current then
  p = cjson.decode(current)
else
  new = 1
  p = { kind = ARGV[1], since = tonumber(ARGV[4]) or tonumber(ARGV[2]) }
end
p.lastSeen = tonumber(ARGV[2])
p.text = ARGV[3]
local json = cjson.encode(p)
redis.call('HSET', KEYS[1], ARGV[1], json)
return { new, json }

-- Mark when admins were told of a current problem ('' unmarks); nothing if it was cleared.
-- KEYS[1] problems hash; ARGV: kind, noticedAt (ms) or ''
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
local p = cjson.decode(current)
p.noticedAt = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(p))
return 1

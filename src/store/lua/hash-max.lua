-- Raise hash fields to a value, never lower them: the maxima of an activity bucket
-- (src/store/activity-store.ts), written by every process, keep the largest any of them saw.
-- KEYS[1] hash; ARGV: field, value, field, value, ...
for i = 1, #ARGV, 2 do
  local value = tonumber(ARGV[i + 1])
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]))
  if value and (not current or value > current) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 0

-- Takes one person out of the people index (src/store/people-index.ts): the entries their record
-- names. Runs in the MULTI that deletes the record, before the DEL.
-- KEYS[1] user hash, KEYS[2] names zset, KEYS[3] search zset, KEYS[4] both zset
local h = redis.call('HMGET', KEYS[1], 'ixUser', 'ixMail', 'ixBoth')
if h[1] then
  redis.call('ZREM', KEYS[2], h[1])
  redis.call('ZREM', KEYS[3], h[1])
end
if h[2] then redis.call('ZREM', KEYS[3], h[2]) end
if h[3] and h[3] ~= '' then redis.call('ZREM', KEYS[4], h[3]) end
return 1

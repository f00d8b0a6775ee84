-- Puts one person in the admin page's people index (src/store/people-index.ts): replaces the
-- entries their record names (ixUser, ixMail, ixBoth) by the new ones, and only while the record
-- still exists and holds the username and e-mail they were built from (a concurrent upsert with
-- newer values indexes its own; a backfill never puts back an old e-mail).
-- KEYS[1] user hash, KEYS[2] names zset, KEYS[3] search zset, KEYS[4] both zset
-- ARGV: username, e-mail, username member, e-mail member, both member ('' = none)
local h = redis.call('HMGET', KEYS[1], 'username', 'email', 'ixUser', 'ixMail', 'ixBoth')
if h[1] ~= ARGV[1] or h[2] ~= ARGV[2] then return 0 end
if h[3] and h[3] ~= ARGV[3] then
  redis.call('ZREM', KEYS[2], h[3])
  redis.call('ZREM', KEYS[3], h[3])
end
if h[4] and h[4] ~= ARGV[4] then redis.call('ZREM', KEYS[3], h[4]) end
if h[5] and h[5] ~= '' and h[5] ~= ARGV[5] then redis.call('ZREM', KEYS[4], h[5]) end
redis.call('ZADD', KEYS[2], 0, ARGV[3])
redis.call('ZADD', KEYS[3], 0, ARGV[3], 0, ARGV[4])
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[4], 0, ARGV[5]) end
redis.call('HSET', KEYS[1], 'ixUser', ARGV[3], 'ixMail', ARGV[4], 'ixBoth', ARGV[5])
return 1

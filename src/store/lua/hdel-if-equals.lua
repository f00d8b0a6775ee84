-- Remove a field of a hash only while it still holds the given value (a user's link to a
-- subscription, which a newer subscription of theirs may have replaced).
-- KEYS[1] hash; ARGV[1] field, ARGV[2] expected value
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0

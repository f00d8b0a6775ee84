-- Set fields of a hash only if the hash still exists: a job finishing after a user left (or a
-- subscription was removed) must not bring a half record back.
-- KEYS[1] hash; ARGV: field, value, field, value, ...
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1

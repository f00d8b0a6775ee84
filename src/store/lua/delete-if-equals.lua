-- Release a lease or a lock only while it is still ours: a holder whose time ran out must not
-- delete the key of the one who took it over.
-- KEYS[1] the lease or lock key; ARGV[1] the holder's token
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0

-- A leased commit of a decision's remembered state (src/store/user-store.ts, docs/architecture.md
-- "One user, one writer"): lands only while the lease is still the caller's and the decision's
-- view of the calendar is not older than the one already applied. Bumps the record's rev.
-- KEYS[1] user hash, KEYS[2] lease key
-- ARGV: lease token, viewAt, remembered (JSON), lastSyncAt, lastError, lastReasons (JSON, for the admin page)
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 'lease-lost' end
local applied = tonumber(redis.call('HGET', KEYS[1], 'appliedViewAt') or '0')
if tonumber(ARGV[2]) < applied then return 'stale-view' end
if redis.call('EXISTS', KEYS[1]) == 0 then return 'lease-lost' end
redis.call('HSET', KEYS[1], 'appliedViewAt', ARGV[2], 'remembered', ARGV[3], 'lastSyncAt', ARGV[4], 'lastError', ARGV[5], 'lastReasons', ARGV[6])
redis.call('HINCRBY', KEYS[1], 'rev', 1)
return 'committed'

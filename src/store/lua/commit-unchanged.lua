-- A commit without a lease, for decisions that write nothing to Mattermost (nearly every user in
-- a sweep): lands only if nobody holds the user ('busy') and nothing was committed since the
-- record was read ('changed': its rev moved); otherwise the caller takes the leased path.
-- Three commands per user (a sweep of 100,000 runs this 100,000 times): the hash's existence is
-- read with its rev (mmUserId is set for every known user), and rev is bumped in the same HSET.
-- KEYS[1] user hash, KEYS[2] lease key
-- ARGV: rev read, viewAt, remembered (JSON), lastSyncAt, lastError, lastReasons (JSON, for the admin page)
local h = redis.call('HMGET', KEYS[1], 'mmUserId', 'rev', 'appliedViewAt')
if not h[1] then return 'gone' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'busy' end
local rev = tonumber(h[2] or '0')
if rev ~= tonumber(ARGV[1]) then return 'changed' end
if tonumber(ARGV[2]) < tonumber(h[3] or '0') then return 'stale-view' end
redis.call('HSET', KEYS[1], 'appliedViewAt', ARGV[2], 'remembered', ARGV[3], 'lastSyncAt', ARGV[4], 'lastError', ARGV[5], 'lastReasons', ARGV[6], 'rev', rev + 1)
return 'committed'

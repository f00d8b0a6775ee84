-- A drain has queued syncs for these users: they leave the inbox, unless a newer notification
-- put them back under a later sequence number (its sync must still be queued).
-- KEYS[1] the inbox; ARGV pairs of user, sequence number seen. Returns how many left.
local removed = 0
for i = 1, #ARGV, 2 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) == tonumber(ARGV[i + 1]) then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed

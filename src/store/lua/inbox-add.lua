-- Notified users go into the inbox in one step, all under one new sequence number, so that a drain
-- can tell "still the notification I queued a sync for" from "a newer one came meanwhile"
-- (inbox-done.lua). Then the inbox is armed: only the first add after a drain began asks for
-- another drain job. KEYS[1] the inbox (sorted set), KEYS[2] the sequence, KEYS[3] the armed flag;
-- ARGV[1] how long the flag lives (ms), ARGV[2..] the users. Returns 1 when the caller must add a
-- drain job, else 0.
local seq = redis.call('INCR', KEYS[2])
local args = {}
for i = 2, #ARGV do
  args[#args + 1] = seq
  args[#args + 1] = ARGV[i]
  -- unpack() has a limit on how many values it spreads: ZADD in chunks.
  if #args >= 2000 then
    redis.call('ZADD', KEYS[1], unpack(args))
    args = {}
  end
end
if #args > 0 then redis.call('ZADD', KEYS[1], unpack(args)) end
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0

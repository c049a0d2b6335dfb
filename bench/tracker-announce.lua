-- wrk script for the tracker benchmark (bench/tracker.ts): BEP 3 announces
-- spread over many swarms and peers, the same sequence shape for every
-- server. Arguments: <path prefix> <swarms> <peers> <wrk threads>, e.g.
-- "/t/<credential>" for the TSEED relay and "" for trackers on /announce.
local prefix, swarms, peers, nthreads
local hashes, ids = {}, {}
local downloaded = {}
local started = 0

-- Each wrk thread announces for its own peers (p mod threads = its id), so a
-- session's counters only ever grow, as a real client's do.
function setup(thread)
  thread:set("id", started)
  started = started + 1
end

local function escape20(n, salt)
  local t = {}
  for i = 1, 20 do
    -- Every byte escaped, as clients send binary info hashes.
    local b = (math.floor(n / 256 ^ ((i - 1) % 4)) + i * 37 + salt) % 256
    t[i] = string.format("%%%02X", b)
  end
  return table.concat(t)
end

function init(args)
  prefix = args[1] or ""
  swarms = tonumber(args[2] or "1000")
  peers = tonumber(args[3] or "2000")
  nthreads = tonumber(args[4] or "1")
  for h = 0, swarms - 1 do hashes[h] = escape20(h, 11) end
  for p = 0, peers - 1 do ids[p] = string.format("-WR0001-%012d", p) end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6) + (id or 0))
end

request = function()
  local h = math.random(0, swarms - 1)
  local p = math.random(0, math.floor(peers / nthreads) - 1) * nthreads + (id or 0)
  -- One peer in four seeds; the others download 256 KiB more on each announce.
  local key = h * peers + p
  local left, down = 0, 0
  if p % 4 ~= 0 then
    down = (downloaded[key] or 0) + 262144
    downloaded[key] = down
    left = 100000000
  end
  local path = prefix .. "/announce?info_hash=" .. hashes[h] ..
    "&peer_id=" .. ids[p] .. "&port=" .. (10000 + p) ..
    "&uploaded=0&downloaded=" .. down .. "&left=" .. left ..
    "&key=" .. string.format("%08x", p) .. "&compact=1&numwant=50"
  return wrk.format("GET", path)
end

-- wrk script for the directory benchmark: each request takes the next of
-- many query variants (read from a file), and every response is checked:
-- anything but 200, or 200 with no results, is counted and reported.
--
--   wrk -c100 -d20s -s bench/rotate.lua http://HOST -- PATH_PREFIX QUERY_FILE
-- e.g. PATH_PREFIX "/oruk/services?per_page=10&", QUERY_FILE queries/text.txt

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1]
  queries = {}
  for line in io.lines(args[2]) do
    if #line > 0 then
      queries[#queries + 1] = line
    end
  end
  -- Each thread starts at its own place in the list.
  position = (id * 7919) % #queries
  failed = 0
  empty = 0
  checked = 0
end

function request()
  position = position % #queries + 1
  return wrk.format("GET", prefix .. queries[position])
end

function response(status, headers, body)
  checked = checked + 1
  if status ~= 200 then
    failed = failed + 1
  elseif string.find(body, '"empty":true', 1, true) then
    empty = empty + 1
  end
end

function done(summary, latency, requests)
  local failed, empty, checked = 0, 0, 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failed")
    empty = empty + thread:get("empty")
    checked = checked + thread:get("checked")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d rps=%.0f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f " ..
    "non_200=%d empty=%d checked=%d socket_errors=%d\n",
    summary.requests, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    failed, empty, checked,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end

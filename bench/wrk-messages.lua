-- wrk script of bench/run-compare.sh: cycles through pre-generated encrypted text messages
-- (bench/make-requests.py) as POSTs to PATH, counts non-200 answers, and prints one machine-readable
-- line at the end. Environment: WRK_REQUESTS (the Lua file), WRK_PATH (e.g. /wecom/callback).
local requests_file = os.getenv("WRK_REQUESTS")
local path = os.getenv("WRK_PATH") or "/wecom/callback"
local threads = {}
local formatted, n, i
-- A global, not a local: done() reads it from each thread with thread:get, which sees globals only.
non200 = 0

function setup(thread)
    table.insert(threads, thread)
    thread:set("id", #threads)
end

function init(args)
    local list = dofile(requests_file)
    formatted, n = {}, #list
    local headers = { ["Content-Type"] = "text/xml" }
    for k, r in ipairs(list) do
        formatted[k] = wrk.format("POST", path .. "?" .. r.q, headers, r.b)
    end
    -- Threads start at different offsets so that they do not send the same MsgId at the same moment.
    i = ((id or 1) - 1) * math.floor(n / 2)
    non200 = 0
end

function request()
    i = i % n + 1
    return formatted[i]
end

function response(status, headers, body)
    if status ~= 200 then non200 = non200 + 1 end
end

function done(summary, latency, requests)
    local bad = 0
    for _, t in ipairs(threads) do bad = bad + (t:get("non200") or 0) end
    local e = summary.errors
    -- wrk's own count of non-2xx/3xx answers is a cross-check of the script's.
    if e.status > bad then bad = e.status end
    io.write(string.format(
        "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non200=%d socket_errors=%d\n",
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
        bad, e.connect + e.read + e.write + e.timeout))
end

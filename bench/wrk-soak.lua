-- wrk script of bench/soak.sh: a mixed workload through nginx, counted by kind and status.
--   70 % valid text messages cycling through WRK_REQUESTS (so most are retried deliveries after the
--        first pass: the dedup cache answers them),
--   10 % the same messages with a broken msg_signature (403),
--   10 % bodies over client_max_body_size (413 from nginx),
--   10 % the published URL verification GET (WRK_GET_QUERY, 200).
-- Prints one machine-readable line: RESULT valid200=… badsig403=… oversize413=… get200=… status5xx=…
-- other=… (anything else: must be 0) socket_errors=…
local requests_file = os.getenv("WRK_REQUESTS")
local path = os.getenv("WRK_PATH") or "/wecom/callback"
local get_query = os.getenv("WRK_GET_QUERY")
local threads = {}
local valid, badsig, oversize, get, n, i, k
local counts

function setup(thread)
    table.insert(threads, thread)
    thread:set("id", #threads)
end

function init(args)
    local list = dofile(requests_file)
    n = #list
    valid, badsig = {}, {}
    local headers = { ["Content-Type"] = "text/xml" }
    for j, r in ipairs(list) do
        valid[j] = wrk.format("POST", path .. "?" .. r.q, headers, r.b)
        badsig[j] = wrk.format("POST", path .. "?" .. r.q:gsub("msg_signature=(%x)", "msg_signature=0"), headers, r.b)
    end
    oversize = wrk.format("POST", path .. "?" .. list[1].q, headers, string.rep("x", 70 * 1024))
    get = wrk.format("GET", path .. "?" .. get_query)
    i, k = ((id or 1) - 1) * 7919, 0
    counts = { valid200 = 0, badsig403 = 0, oversize413 = 0, get200 = 0, status5xx = 0, other = 0 }
end

function request()
    k = k + 1
    local slot = k % 10
    if slot == 7 then return badsig[(k * 31) % n + 1] end
    if slot == 8 then return oversize end
    if slot == 9 then return get end
    i = i % n + 1
    return valid[i]
end

-- Answers are told apart by what they are (wrk interleaves connections, so not by send order): a valid
-- message gets an encrypted reply envelope, the verification its plaintext, the others 403 and 413.
function response(status, headers, body)
    if status >= 500 then counts.status5xx = counts.status5xx + 1
    elseif status == 200 and body:sub(1, 5) == "<xml>" then counts.valid200 = counts.valid200 + 1
    elseif status == 200 and body == "1288432023552776189" then counts.get200 = counts.get200 + 1
    elseif status == 403 then counts.badsig403 = counts.badsig403 + 1
    elseif status == 413 then counts.oversize413 = counts.oversize413 + 1
    else counts.other = counts.other + 1 end
    for name, value in pairs(counts) do wrk.thread:set(name, value) end
end

function done(summary, latency, requests)
    local total = {}
    for _, t in ipairs(threads) do
        for _, name in ipairs({ "valid200", "badsig403", "oversize413", "get200", "status5xx", "other" }) do
            total[name] = (total[name] or 0) + (t:get(name) or 0)
        end
    end
    local e = summary.errors
    io.write(string.format(
        "RESULT requests=%d valid200=%d badsig403=%d oversize413=%d get200=%d status5xx=%d other=%d socket_errors=%d p99_us=%d\n",
        summary.requests, total.valid200, total.badsig403, total.oversize413, total.get200,
        total.status5xx, total.other, e.connect + e.read + e.write + e.timeout, latency:percentile(99)))
end

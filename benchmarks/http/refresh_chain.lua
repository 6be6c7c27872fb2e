-- wrk script for POST /token on jot's auth_server. Refresh tokens rotate: each can be used once, so every
-- request spends a token and its response's refresh_token goes back into the thread's pool. The pool starts
-- with the tokens in $JOT_BENCH_TOKENS (one per line: one per connection plus one per thread, since wrk calls
-- request() once before the run to check the script), split among wrk's threads.
local count = 0

function setup(thread)
    thread:set("id", count)
    count = count + 1
end

function init(args)
    local nthreads = tonumber(os.getenv("JOT_BENCH_THREADS"))
    pool = {}
    local i = 0
    for line in io.lines(os.getenv("JOT_BENCH_TOKENS")) do
        if i % nthreads == id then table.insert(pool, line) end
        i = i + 1
    end
end

function request()
    local token = table.remove(pool) or "pool-exhausted"
    return wrk.format("POST", "/token", { ["Content-Type"] = "application/x-www-form-urlencoded" },
        "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
    local token = string.match(body, '"refresh_token":"([^"]+)"')
    if token then table.insert(pool, token) end
end

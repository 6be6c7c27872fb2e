-- wrk script: POST $JOT_BENCH_PATH with the JSON body $JOT_BENCH_BODY.
wrk.method = "POST"
wrk.path = os.getenv("JOT_BENCH_PATH")
wrk.body = os.getenv("JOT_BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"

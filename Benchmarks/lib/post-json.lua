-- wrk script for Benchmarks/bench.sh: POSTs the JSON file named by the BODY_FILE environment
-- variable with Content-Type: application/json.
local file = assert(io.open(assert(os.getenv("BODY_FILE"), "BODY_FILE is not set"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"

-- wrk script: one small chat completion per request, with a tenant key when KEY is set.
wrk.method = "POST"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello to the relay benchmark."}]}'
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("KEY")
if key then wrk.headers["Authorization"] = "Bearer " .. key end

-- wrk script for bench/run.sh: one scenario per run (env SCEN); prints one RESULT line.
--   get       GET env PATHQ with the office session (SESSION, CSRF)
--   case      GET /cases/<random id in CMIN..CMAX>/
--   register  GET /cases/new/ then POST it with the form's one-time token, in turn. Run with
--             -t2 -c2: each thread has one connection and its own clerk session (SESSIONS,
--             comma-separated), so that the session's token list is never written by two
--             requests at once. The latencies mix GETs and POSTs; a pair is GET + POST.
local scen = os.getenv("SCEN")
local csrf = os.getenv("CSRF") or ""
local path = os.getenv("PATHQ") or "/cases/"
local cmin, cmax = tonumber(os.getenv("CMIN") or "1"), tonumber(os.getenv("CMAX") or "1")
local threads, nthread = {}, 0

function setup(thread)
  nthread = nthread + 1
  local list = {}
  for s in string.gmatch(os.getenv("SESSIONS") or "", "[^,]+") do list[#list + 1] = s end
  thread:set("session", list[(nthread - 1) % math.max(#list, 1) + 1] or os.getenv("SESSION"))
  thread:set("csrf_r", (function()
    local l = {}
    for s in string.gmatch(os.getenv("CSRFS") or "", "[^,]+") do l[#l + 1] = s end
    return l[(nthread - 1) % math.max(#l, 1) + 1] or csrf
  end)())
  thread:set("tid", nthread)
  table.insert(threads, thread)
end

token, n, posted, created, expired, other = nil, 0, 0, 0, 0, 0

function init(args)
  math.randomseed(os.time() + (tid or 0) * 7919)
  session = session or os.getenv("SESSION")
end

local function headers(extra)
  local h = { Cookie = "sessionid=" .. session .. "; csrftoken=" .. (csrf_r or csrf),
              ["Accept-Language"] = "zh-hans" }
  if extra then for k, v in pairs(extra) do h[k] = v end end
  return h
end

local function enc(s)
  return (string.gsub(s, "[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  if scen == "get" then return wrk.format("GET", path, headers())
  elseif scen == "case" then
    return wrk.format("GET", "/cases/" .. math.random(cmin, cmax) .. "/", headers())
  elseif scen == "register" then
    if token == nil then return wrk.format("GET", "/cases/new/", headers()) end
    n = n + 1
    local body = "csrfmiddlewaretoken=" .. (csrf_r or csrf) .. "&form_token=" .. enc(token)
      .. "&channel=phone&complainant_name=" .. enc("张三") .. "&complainant_phone=13800138000"
      .. "&reply_wanted=on&reply_method=phone&category=" .. (os.getenv("CATEGORY") or "1")
      .. "&urgency=normal&summary=" .. enc("压测登记：反映政务服务中心窗口推诿 " .. tid .. "-" .. n)
      .. "&content=" .. enc(string.rep("来电人反映到政务服务中心办理业务时窗口工作人员互相推诿。", 5))
      .. "&place=" .. enc("政务服务中心")
    token = nil
    posted = posted + 1
    return wrk.format("POST", "/cases/new/", headers({
      ["Content-Type"] = "application/x-www-form-urlencoded",
      Referer = "http://127.0.0.1/cases/new/" }), body)
  end
  error("unknown SCEN " .. tostring(scen))
end

function response(status, hdrs, body)
  if scen ~= "register" then return end
  if status == 200 and body then
    local t = string.match(body, 'name="form_token" value="([^"]+)"')
    if t and not string.find(body, "has expired", 1, true) then token = t
    elseif t then token = t; expired = expired + 1 end
  elseif status == 302 then created = created + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local c, e, o = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + (t:get("created") or 0); e = e + (t:get("expired") or 0); o = o + (t:get("other") or 0)
  end
  local err = summary.errors
  io.write(string.format(
    "RESULT scen=%s path=%s requests=%d rps=%.1f p50_ms=%.0f p95_ms=%.0f p99_ms=%.0f max_ms=%.0f kb_per_req=%.1f bad_status=%d sock_err=%d created=%d expired=%d other=%d\n",
    scen, (scen == "get" and path) or (scen == "case" and "/cases/<id>/") or "/cases/new/ GET+POST",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.bytes / math.max(summary.requests, 1) / 1024, err.status,
    err.connect + err.read + err.write + err.timeout, c, e, o))
end

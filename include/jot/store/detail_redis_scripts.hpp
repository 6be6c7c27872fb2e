// SPDX-License-Identifier: MIT
// Not API: the Lua scripts of redis_store, one per atomic step, each touching the keys of one hash tag.
#pragma once

#include <array>  // std::array

namespace jot::inline v0::detail {

// Key layout, P the key prefix ("jot"):
//   P:{F}:f     hash   family F: id sub cli cl cr ax g rv, ac (active token id or ""), ai (its idle expiry)
//   P:{F}:ts    zset   the ids of F's tokens, scored by idle expiry
//   P:{F}:t:T   hash   token T of F: id fam g h st cr ix su ss gu
//   P:t:{T}     string the family of token T (written before the token, never changed)
//   P:s:{S}:f   zset   the families of subject S as "<absolute expiry>|<family id>", scored by creation
//                      order; P:s:{S}:n is its counter
//   P:s:{S}:r   hash   the not-before of subject S: sub nb un
//   P:j:{J}     string the end of the denial of access-token jti J
//   P:a:{K}     hash   the failures of attempt_store key K: c (count) l (latest failure) x (expiry)
// Times are integer microseconds since the epoch (exact in a Lua number); states are 0 active, 1 rotated,
// 2 revoked. Each script reads and checks everything before its first write, because Redis does not undo
// the writes of a script that fails half-way: a damaged record ends the script with "JOTCORRUPT" and no
// write. Every key a script writes has the hash tag of its KEYS[1].

/// Helpers shared by the scripts.
inline constexpr const char* redis_prelude = R"lua(
local function corrupt(what) error({err = 'JOTCORRUPT ' .. what}) end
local function load(key)
  local r = redis.pcall('HGETALL', key)
  if r.err then corrupt('wrong type at ' .. key) end
  if #r == 0 then return nil end
  local m = {}
  for i = 1, #r, 2 do m[r[i]] = r[i + 1] end
  return m
end
local function int(m, f)
  local v = m[f]
  if v == nil or not string.match(v, '^%-?%d+$') or #v > 17 then corrupt('field ' .. f) end
  return tonumber(v)
end
local function expect_type(key, t)
  local k = redis.call('TYPE', key).ok
  if k ~= 'none' and k ~= t then corrupt('wrong type at ' .. key) end
end
local function check_family(f)
  int(f, 'cr'); int(f, 'ax'); int(f, 'g'); int(f, 'ai')
  if f.rv ~= '0' and f.rv ~= '1' then corrupt('family revoked flag') end
  if not (f.id and f.sub and f.cli and f.cl and f.ac) then corrupt('family field missing') end
end
local function check_token(t)
  int(t, 'g'); int(t, 'cr'); int(t, 'ix'); int(t, 'gu')
  if t.st ~= '0' and t.st ~= '1' and t.st ~= '2' then corrupt('token state') end
  if not (t.id and t.fam and t.h and t.su and t.ss) then corrupt('token field missing') end
  if #t.h ~= 32 then corrupt('token hash') end
end
local function family_out(f) return {f.id, f.sub, f.cli, f.cl, f.cr, f.ax, f.g, f.rv} end
local function token_out(t) return {t.id, t.fam, t.g, t.h, t.st, t.cr, t.ix, t.su, t.ss, t.gu} end
local function same_hash(a, b)
  if #a ~= #b then return false end
  local d = 0
  for i = 1, #a do d = bit.bor(d, bit.bxor(string.byte(a, i), string.byte(b, i))) end
  return d == 0
end
local function ttl(expiry, now, margin)
  local ms = math.floor((expiry - now) / 1000)
  if ms < 0 then ms = 0 end
  return string.format('%d', ms + margin)
end
local function revoke_all(fkey, tkeys, base, f)
  expect_type(tkeys, 'zset')
  local ids = redis.call('ZRANGE', tkeys, 0, -1)
  for _, id in ipairs(ids) do expect_type(base .. id, 'hash') end
  for _, id in ipairs(ids) do
    local k = base .. id
    if redis.call('EXISTS', k) == 1 then redis.call('HSET', k, 'st', '2', 'ss', '') end
  end
  redis.call('HSET', fkey, 'rv', '1', 'ac', '')
  f.rv = '1'
  f.ac = ''
end
)lua";

enum class redis_script : unsigned {
    create_family,
    rotate,
    revoke_token,
    revoke_family,
    subject_add,
    subject_revoke,
    deny_jti,
    purge_family,
    purge_denied,
    purge_revocation,
    add_failure,
    purge_failure,
    count_,
};

/// The body of each script, run after the prelude.
inline constexpr std::array<const char*, static_cast<unsigned>(redis_script::count_)> redis_scripts = {
    // create_family: KEYS family, tokens, token; ARGV now, margin_ms, the family's 8 fields, the token's 10.
    R"lua(
for i = 1, 3 do if redis.call('EXISTS', KEYS[i]) == 1 then corrupt('record exists') end end
local now, margin = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'id', ARGV[3], 'sub', ARGV[4], 'cli', ARGV[5], 'cl', ARGV[6], 'cr', ARGV[7],
  'ax', ARGV[8], 'g', ARGV[9], 'rv', ARGV[10], 'ac', (ARGV[15] == '0') and ARGV[11] or '', 'ai', ARGV[17])
redis.call('HSET', KEYS[3], 'id', ARGV[11], 'fam', ARGV[12], 'g', ARGV[13], 'h', ARGV[14], 'st', ARGV[15],
  'cr', ARGV[16], 'ix', ARGV[17], 'su', ARGV[18], 'ss', ARGV[19], 'gu', ARGV[20])
redis.call('ZADD', KEYS[2], ARGV[17], ARGV[11])
local family_ttl = ttl(tonumber(ARGV[8]), now, margin)
redis.call('PEXPIRE', KEYS[1], family_ttl)
redis.call('PEXPIRE', KEYS[2], family_ttl)
redis.call('PEXPIRE', KEYS[3], ttl(tonumber(ARGV[17]), now, margin))
return 1
)lua",
    // rotate: KEYS family, tokens; ARGV token base, id, presented hash, successor id, successor hash,
    // successor created, successor idle expiry, sealed successor, now, grace until, margin_ms, client ("" for
    // no check), predecessors kept ("0" for all). The order of the checks is refresh_store's. A rotation
    // also returns the ids of the predecessors it deleted, whose index keys (another hash tag) the caller
    // deletes.
    R"lua(
local base, now = ARGV[1], tonumber(ARGV[9])
local tkey = base .. ARGV[2]
local t = load(tkey)
if not t then return {'not_found'} end
check_token(t)
if not same_hash(t.h, ARGV[3]) then return {'not_found'} end
local f = load(KEYS[1])
if not f then return {'not_found'} end
check_family(f)
if ARGV[12] ~= '' and ARGV[12] ~= f.cli then return {'client_mismatch'} end
if f.rv == '1' or t.st == '2' then return {'revoked', family_out(f)} end
if now >= tonumber(f.ax) or now >= tonumber(t.ix) then return {'expired', family_out(f)} end
if t.st == '0' then
  local skey = base .. ARGV[4]
  if redis.call('EXISTS', skey) == 1 then corrupt('successor id taken') end
  expect_type(KEYS[2], 'zset')
  local idle = ARGV[7]
  if tonumber(idle) > tonumber(f.ax) then idle = f.ax end
  local g = string.format('%d', redis.call('HINCRBY', KEYS[1], 'g', 1))
  redis.call('HSET', tkey, 'st', '1', 'su', ARGV[4], 'ss', ARGV[8], 'gu', ARGV[10])
  redis.call('HSET', skey, 'id', ARGV[4], 'fam', f.id, 'g', g, 'h', ARGV[5], 'st', '0', 'cr', ARGV[6],
    'ix', idle, 'su', '', 'ss', '', 'gu', '0')
  redis.call('PEXPIRE', skey, ttl(tonumber(idle), now, tonumber(ARGV[11])))
  redis.call('HSET', KEYS[1], 'ac', ARGV[4], 'ai', idle)
  redis.call('ZADD', KEYS[2], idle, ARGV[4])
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[9])) do
    redis.call('DEL', base .. id)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[9])
  local keep, trimmed = tonumber(ARGV[13]), {}
  if keep > 0 and redis.call('ZCARD', KEYS[2]) > keep + 1 then
    local oldest = tonumber(g) - 1 - keep
    for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
      local pg = redis.pcall('HGET', base .. id, 'g')
      if type(pg) == 'string' and string.match(pg, '^%d+$') and tonumber(pg) <= oldest then
        redis.call('DEL', base .. id)
        redis.call('ZREM', KEYS[2], id)
        table.insert(trimmed, id)
      end
    end
  end
  f.g = g
  local s = {id = ARGV[4], fam = f.id, g = g, h = ARGV[5], st = '0', cr = ARGV[6], ix = idle, su = '',
    ss = '', gu = '0'}
  return {'rotated', family_out(f), token_out(s), trimmed}
end
if now < tonumber(t.gu) and t.ss ~= '' then
  local s = load(base .. t.su)
  if s then
    check_token(s)
    if s.st == '0' then return {'grace_replay', family_out(f), token_out(s), t.ss} end
  end
end
revoke_all(KEYS[1], KEYS[2], base, f)
return {'reused', family_out(f)}
)lua",
    // revoke_token: KEYS family, tokens; ARGV token base, id, hash. Nil when no token has this id and hash.
    R"lua(
local tkey = ARGV[1] .. ARGV[2]
local t = load(tkey)
if not t then return false end
check_token(t)
if not same_hash(t.h, ARGV[3]) then return false end
local f = load(KEYS[1])
if not f then return false end
check_family(f)
if t.st == '0' then
  revoke_all(KEYS[1], KEYS[2], ARGV[1], f)
else
  redis.call('HSET', tkey, 'st', '2', 'ss', '')
end
return family_out(f)
)lua",
    // revoke_family: KEYS family, tokens; ARGV token base, now, "1" to revoke only a live family. Nil when
    // nothing was revoked.
    R"lua(
local f = load(KEYS[1])
if not f then return false end
check_family(f)
if ARGV[3] == '1' then
  local now = tonumber(ARGV[2])
  if f.rv == '1' or f.ac == '' or now >= tonumber(f.ax) or now >= tonumber(f.ai) then return false end
end
revoke_all(KEYS[1], KEYS[2], ARGV[1], f)
return family_out(f)
)lua",
    // subject_add: KEYS families of the subject, counter; ARGV family id, ttl_ms. Returns the order number.
    R"lua(
expect_type(KEYS[1], 'zset')
expect_type(KEYS[2], 'string')
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], seq, ARGV[1])
for i = 1, 2 do
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
end
return seq
)lua",
    // subject_revoke: KEYS not-before, families of the subject; ARGV subject, now, until, margin_ms. Sets the
    // not-before (the later until wins) and returns the subject's families with their order numbers.
    R"lua(
expect_type(KEYS[2], 'zset')
local r = load(KEYS[1])
local untilv = ARGV[3]
if r then
  if int(r, 'un') > tonumber(untilv) then untilv = r.un end
end
redis.call('HSET', KEYS[1], 'sub', ARGV[1], 'nb', ARGV[2], 'un', untilv)
redis.call('PEXPIRE', KEYS[1], ttl(tonumber(untilv), tonumber(ARGV[2]), tonumber(ARGV[4])))
return redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
)lua",
    // deny_jti: KEYS entry; ARGV until, ttl_ms. The later until wins.
    R"lua(
local cur = redis.pcall('GET', KEYS[1])
if type(cur) == 'table' and cur.err then corrupt('wrong type at ' .. KEYS[1]) end
if cur then
  if not string.match(cur, '^%-?%d+$') then corrupt('denied until') end
  if tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
)lua",
    // purge_family: KEYS family, tokens; ARGV token base, now. Removes F's tokens past their idle expiry,
    // all of F past its absolute expiry or without tokens, and sealed successors past their grace window.
    // Returns the number of records removed and the ids of the tokens removed.
    R"lua(
local base, now = ARGV[1], tonumber(ARGV[2])
local f = load(KEYS[1])
if f then check_family(f) end
expect_type(KEYS[2], 'zset')
local ids = redis.call('ZRANGE', KEYS[2], 0, -1)
local tokens = {}
for _, id in ipairs(ids) do
  local t = load(base .. id)
  if t then check_token(t) end
  tokens[id] = t or false
end
local all = (not f) or now >= tonumber(f.ax)
local removed, left, gone = 0, 0, {}
for _, id in ipairs(ids) do
  local t = tokens[id]
  if t and (all or now >= tonumber(t.ix)) then
    redis.call('DEL', base .. id)
    removed = removed + 1
    table.insert(gone, id)
    t = false
  end
  if t then
    left = left + 1
    if t.ss ~= '' and now >= tonumber(t.gu) then redis.call('HSET', base .. id, 'ss', '') end
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
if f and (all or left == 0) then
  redis.call('DEL', KEYS[1], KEYS[2])
  removed = removed + 1
end
return {removed, gone}
)lua",
    // purge_denied: KEYS entry; ARGV now.
    R"lua(
local cur = redis.pcall('GET', KEYS[1])
if type(cur) == 'table' and cur.err then corrupt('wrong type at ' .. KEYS[1]) end
if not cur then return 0 end
if not string.match(cur, '^%-?%d+$') then corrupt('denied until') end
if tonumber(ARGV[1]) >= tonumber(cur) then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
)lua",
    // purge_revocation: KEYS not-before; ARGV now.
    R"lua(
local r = load(KEYS[1])
if not r then return 0 end
if tonumber(ARGV[1]) >= int(r, 'un') then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
)lua",
    // add_failure: KEYS counter; ARGV now, window (microseconds), margin_ms. attempt_store's rule (as
    // next_failure_count): returns {count, latest, expiry}.
    R"lua(
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local h = load(KEYS[1])
local count, last = 0, 0
if h then
  if now < int(h, 'x') then count, last = int(h, 'c'), int(h, 'l') end
end
count = count + 1
if now > last then last = now end
local out = {string.format('%d', count), string.format('%d', last), string.format('%d', last + window)}
redis.call('HSET', KEYS[1], 'c', out[1], 'l', out[2], 'x', out[3])
redis.call('PEXPIRE', KEYS[1], ttl(last + window, now, tonumber(ARGV[3])))
return out
)lua",
    // purge_failure: KEYS counter; ARGV now.
    R"lua(
local h = load(KEYS[1])
if not h then return 0 end
if tonumber(ARGV[1]) >= int(h, 'x') then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
)lua",
};

}  // namespace jot::inline v0::detail

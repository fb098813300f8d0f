package compat

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"testing"
)

// luaCase is one documented Lua scripting example or error case: the
// command, and the reply Redis 7.0 gives (RESP2, as value.String prints
// it; "<sha>" stands for the SHA1 of the script in args[1]).
type luaCase struct {
	name string
	args []string
	want string
}

// luaCases are the examples of Redis's scripting documentation (EVAL,
// "Scripting with Lua", "Lua API reference") and the error cases users
// meet, with Redis 7.0.15's exact replies.
var luaCases = []luaCase{
	{"hello", []string{"EVAL", "return 'Hello, scripting!'", "0"}, `"Hello, scripting!"`},
	{"argv", []string{"EVAL", "return ARGV[1]", "0", "hello"}, `"hello"`},
	{"keys and argv", []string{"EVAL", "return { KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3] }", "2", "{k}key1", "{k}key2", "arg1", "arg2", "arg3"}, `*["{k}key1", "{k}key2", "arg1", "arg2", "arg3"]`},
	{"call set", []string{"EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", "{lua}foo", "bar"}, `+OK`},
	{"call get", []string{"EVAL", "return redis.call('GET', KEYS[1])", "1", "{lua}foo"}, `"bar"`},
	{"number truncation and nil end", []string{"EVAL", "return { 1, 2, 3.3333, 'somestring', false }", "0"}, `*[:1, :2, :3, "somestring", (nil)]`},
	{"array stops at nil", []string{"EVAL", "return { 1, 2, 3.3333, 'foo', nil, 'bar' }", "0"}, `*[:1, :2, :3, "foo"]`},
	{"float as string", []string{"EVAL", "return tostring(3.3333)", "0"}, `"3.3333"`},
	{"script load", []string{"SCRIPT", "LOAD", "return 'Immabe a cached script'"}, `"c664a3bf70bd1d45c4284ffebb65a6f2299bfc9f"`},
	{"evalsha", []string{"EVALSHA", "c664a3bf70bd1d45c4284ffebb65a6f2299bfc9f", "0"}, `"Immabe a cached script"`},
	{"evalsha missing", []string{"EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"}, `-NOSCRIPT No matching script. Please use EVAL.`},
	{"call wrong args", []string{"EVAL", "return redis.call('ECHO', 'Echo,', 'echo... ', 'eco... ', 'o...')", "0"}, `-ERR Wrong number of args calling Redis command from script script: <sha>, on @user_script:1.`},
	{"pcall wrong args", []string{"EVAL", "return redis.pcall('ECHO', 'Echo,', 'echo... ', 'eco... ', 'o...')", "0"}, `-ERR Wrong number of args calling Redis command from script`},
	{"error_reply", []string{"EVAL", "return redis.error_reply('My very special error')", "0"}, `-My very special error`},
	{"error table", []string{"EVAL", "return {err = 'My very special table error'}", "0"}, `-My very special table error`},
	{"status_reply", []string{"EVAL", "return redis.status_reply('TOCK')", "0"}, `+TOCK`},
	{"command error", []string{"EVAL", "return redis.call('LPUSH', KEYS[1], 'x')", "1", "{lua}foo"}, `-WRONGTYPE Operation against a key holding the wrong kind of value script: <sha>, on @user_script:1.`},
	{"error line number", []string{"EVAL", "local a = 1\nlocal b = 2\nreturn redis.call('INCR', KEYS[1])", "1", "{lua}foo"}, `-ERR value is not an integer or out of range script: <sha>, on @user_script:3.`},
	{"lua error", []string{"EVAL", "local t = {}\nerror('something bad')", "0"}, `-ERR user_script:2: something bad script: <sha>, on @user_script:2.`},
	{"global write", []string{"EVAL", "my_global_variable = 'some value'", "0"}, `-ERR user_script:1: Attempt to modify a readonly table script: <sha>, on @user_script:1.`},
	{"global read", []string{"EVAL", "return a_global", "0"}, `-ERR user_script:1: Script attempted to access nonexistent global variable 'a_global' script: <sha>, on @user_script:1.`},
	{"no os", []string{"EVAL", "return os.time()", "0"}, `-ERR user_script:1: Script attempted to access nonexistent global variable 'os' script: <sha>, on @user_script:1.`},
	{"compile error", []string{"EVAL", "return 1 +", "0"}, `-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'`},
	{"read-only script", []string{"EVAL_RO", "return redis.call('DEL', KEYS[1])", "1", "{lua}foo"}, `-ERR Write commands are not allowed from read-only scripts. script: <sha>, on @user_script:1.`},
	{"no-writes flag", []string{"EVAL", "#!lua flags=no-writes\nreturn redis.call('SET', KEYS[1], 'x')", "1", "{lua}foo"}, `-ERR Write commands are not allowed from read-only scripts. script: <sha>, on @user_script:2.`},
	{"numkeys too big", []string{"EVAL", "return 1", "2", "a"}, `-ERR Number of keys can't be greater than number of args`},
	{"sha1hex", []string{"EVAL", "return redis.sha1hex('')", "0"}, `"da39a3ee5e6b4b0d3255bfef95601890afd80709"`},
	{"setresp 3 map", []string{"EVAL", "redis.setresp(3); redis.call('HSET', KEYS[1], 'f', 'v'); return redis.call('HGETALL', KEYS[1])", "1", "{lua}h"}, `*["f", "v"]`},
	{"cjson encode", []string{"EVAL", "return cjson.encode({ ['foo'] = 'bar' })", "0"}, `"{\"foo\":\"bar\"}"`},
	{"cjson encode array", []string{"EVAL", "return cjson.encode({1, 2.5, 'x/y', true, {}})", "0"}, `"[1,2.5,\"x\\/y\",true,{}]"`},
	{"cjson decode", []string{"EVAL", "return cjson.decode(ARGV[1])['foo']", "0", `{"foo":"bar"}`}, `"bar"`},
	{"cjson decode error", []string{"EVAL", "return cjson.decode('{')", "0"}, `-ERR user_script:1: Expected object key string but found T_END at character 2 script: <sha>, on @user_script:1.`},
	{"cjson null", []string{"EVAL", "return cjson.decode('[null]')[1] == cjson.null", "0"}, `:1`},
	{"cmsgpack pack", []string{"EVAL", "return cmsgpack.pack({'foo', 'bar', 'baz'})", "0"}, `"\x93\xa3foo\xa3bar\xa3baz"`},
	{"cmsgpack unpack", []string{"EVAL", "return cmsgpack.unpack(ARGV[1])", "0", "\x93\xa3foo\xa3bar\xa3baz"}, `*["foo", "bar", "baz"]`},
	{"cmsgpack numbers", []string{"EVAL", "return cmsgpack.pack(1, -1, 300, -300, 70000, 2^40, 0.5, 0.1)", "0"}, `"\x01\xff\xcd\x01,\xd1\xfe\xd4\xce\x00\x01\x11p\xcf\x00\x00\x01\x00\x00\x00\x00\x00\xca?\x00\x00\x00\xcb?\xb9\x99\x99\x99\x99\x99\x9a"`},
	{"bit ops", []string{"EVAL", "return {bit.tobit(0xffffffff), bit.bnot(0), bit.lshift(1, 31), bit.arshift(-256, 4), bit.rol(0x12345678, 12), bit.bswap(0x12345678), bit.band(0xff, 0x0f, 0x3)}", "0"}, `*[:-1, :-1, :-2147483648, :-16, :1164411171, :2018915346, :3]`},
	{"bit tohex", []string{"EVAL", "return {bit.tohex(65535), bit.tohex(-1, -3), bit.tohex(0xff, 2)}", "0"}, `*["0000ffff", "FFF", "ff"]`},
	{"struct pack", []string{"EVAL", "return struct.pack('HH', 1, 2)", "0"}, `"\x01\x00\x02\x00"`},
	{"struct unpack", []string{"EVAL", "return {struct.unpack('HH', ARGV[1])}", "0", "\x01\x00\x02\x00"}, `*[:1, :2, :5]`},
	{"struct size", []string{"EVAL", "return struct.size('>iHd')", "0"}, `:14`},
	{"struct strings", []string{"EVAL", "return {struct.unpack('>i4sc3', struct.pack('>i4sc3', -2, 'ab', 'xyz'))}", "0"}, `*[:-2, "ab", "xyz", :11]`},
}

// TestLuaExamples runs the documented examples and error cases against
// both servers: each must give the stated reply, on Redis and on Mnemo.
func TestLuaExamples(t *testing.T) {
	for _, addr := range []string{redisAddr, mnemoAddr} {
		c, err := dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		c.do("DEL", "{lua}foo", "{lua}h")
		for _, tc := range luaCases {
			got, err := c.do(tc.args...)
			if err != nil {
				t.Fatalf("%s on %s: %v", tc.name, addr, err)
			}
			want := tc.want
			if strings.Contains(want, "<sha>") {
				sum := sha1.Sum([]byte(tc.args[1]))
				want = strings.ReplaceAll(want, "<sha>", hex.EncodeToString(sum[:]))
			}
			if got.String() != want {
				server := "mnemo"
				if addr == redisAddr {
					server = "redis"
				}
				t.Errorf("%s (%s): got %s\nwant %s", tc.name, server, got, want)
			}
		}
	}
}

package script

import (
	"context"
	"testing"

	"github.com/mnemo-dev/mnemo/engine/resp"
	lua "github.com/yuin/gopher-lua"
)

// fakeHost answers every redis.call with a fixed reply.
type fakeHost struct{ reply string }

func (h fakeHost) Call(args [][]byte, _ int) []byte    { return []byte(h.reply) }
func (h fakeHost) ACLCheck(args [][]byte) (bool, bool) { return true, true }
func (h fakeHost) Log(level int, msg string)           {}

// eval compiles and runs body, returning the RESP2 reply or the error.
func eval(t *testing.T, s *State, host Host, body string) string {
	t.Helper()
	fn, err := s.Compile([]byte(body), ScriptChunk)
	if err != nil {
		return "compile: " + err.Error()
	}
	v, e := s.Run(context.Background(), host, fn, "sha")
	if e != nil {
		return "-" + e.Msg + "\r\n"
	}
	w := resp.NewWriter()
	s.WriteReply(w, v)
	return string(w.Bytes())
}

func TestConversions(t *testing.T) {
	s := New(false, NewRand())
	defer s.Close()
	for _, tc := range []struct {
		name, reply, body, want string
	}{
		{"integer", ":5\r\n", "return redis.call('x')", ":5\r\n"},
		{"null bulk is false", "$-1\r\n", "return redis.call('x') == false", ":1\r\n"},
		{"status is ok table", "+PONG\r\n", "return redis.call('x').ok", "$4\r\nPONG\r\n"},
		{"error raised", "-WRONGTYPE bad\r\n", "return redis.call('x')", "-WRONGTYPE bad script: sha, on @user_script:1.\r\n"},
		{"error from pcall", "-ERR bad\r\n", "return redis.pcall('x')", "-ERR bad\r\n"},
		{"nested array", "*2\r\n:1\r\n*1\r\n$1\r\na\r\n", "return redis.call('x')", "*2\r\n:1\r\n*1\r\n$1\r\na\r\n"},
		{"resp3 map", "%1\r\n$1\r\nk\r\n:1\r\n", "return redis.call('x').map.k", ":1\r\n"},
		{"resp3 double", ",1.5\r\n", "return redis.call('x').double * 2", ":3\r\n"},
		{"resp3 null is nil", "_\r\n", "return redis.call('x') == nil", ":1\r\n"},
		{"resp3 bool", "#t\r\n", "return redis.call('x')", ":1\r\n"},
		{"big number", "(123\r\n", "return redis.call('x').big_number", "$3\r\n123\r\n"},
		{"overflowing number", "", "return 1e300", ":-9223372036854775808\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := eval(t, s, fakeHost{tc.reply}, tc.body); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLibraries(t *testing.T) {
	s := New(false, NewRand())
	defer s.Close()
	for _, tc := range []struct{ body, want string }{
		{"return cjson.encode({a={1,2}})", `{"a":[1,2]}`},
		{"return cjson.encode('\\1\\127')", `"\u0001\u007f"`},
		{"return cjson.encode(0.1)", "0.1"},
		{"return cjson.decode('\"\\\\u00e9\"')", "é"},
		{"return tostring(cjson.decode('[1,2,3]')[3])", "3"},
		{"return cmsgpack.pack({a=1})", "\x81\xa1a\x01"},
		{"return cmsgpack.pack({})", "\x90"},
		{"return select(2, cmsgpack.unpack_one(cmsgpack.pack('x', 'y')))", "x"},
		{"return bit.tohex(bit.bxor(0xf0f0, 0xffff))", "00000f0f"},
		{"return bit.tohex(bit.ror(1, 1))", "80000000"},
		{"return struct.pack('>h', -2)", "\xff\xfe"},
		{"return struct.pack('<d', 1)", "\x00\x00\x00\x00\x00\x00\xf0\x3f"},
		{"return tostring(math.huge)", "inf"},
		{"return tostring(1/3)", "0.33333333333333"},
	} {
		fn, err := s.Compile([]byte(tc.body), ScriptChunk)
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		v, e := s.Run(context.Background(), fakeHost{}, fn, "sha")
		if e != nil {
			t.Fatalf("%s: %s", tc.body, e.Msg)
		}
		if got := lua.LVAsString(v); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.body, got, tc.want)
		}
	}
}

// TestRandMatchesRedis checks redisLrand48's first draws from Redis's
// initial state, as a fresh redis-server 7.0 returns them.
func TestRandMatchesRedis(t *testing.T) {
	s := New(false, NewRand())
	defer s.Close()
	got := eval(t, s, fakeHost{}, "return {math.random(100), math.random(1000000)}")
	if want := "*2\r\n:40\r\n:840486\r\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestSandbox(t *testing.T) {
	s := New(false, NewRand())
	defer s.Close()
	for _, tc := range []struct{ body, want string }{
		{"x = 1", "-ERR user_script:1: Attempt to modify a readonly table script: sha, on @user_script:1.\r\n"},
		{"return nope", "-ERR user_script:1: Script attempted to access nonexistent global variable 'nope' script: sha, on @user_script:1.\r\n"},
		{"rawset(_G, 'leak', 1)", "$-1\r\n"},
		// What rawset left is gone by the next run.
		{"return leak", "-ERR user_script:1: Script attempted to access nonexistent global variable 'leak' script: sha, on @user_script:1.\r\n"},
	} {
		if got := eval(t, s, fakeHost{}, tc.body); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.body, got, tc.want)
		}
	}
}

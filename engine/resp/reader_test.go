package resp

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// oneByteReader hands out one byte per Read, so every parse step meets a
// split boundary.
type oneByteReader struct{ data []byte }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(o.data) == 0 {
		return 0, io.EOF
	}
	p[0] = o.data[0]
	o.data = o.data[1:]
	return 1, nil
}

func readAll(t *testing.T, rd io.Reader) ([][]string, error) {
	t.Helper()
	r := NewReader(rd)
	var out [][]string
	for {
		args, err := r.ReadCommand()
		if err != nil {
			return out, err
		}
		var cmd []string
		for _, a := range args {
			cmd = append(cmd, string(a))
		}
		out = append(out, cmd)
	}
}

func TestReadCommand(t *testing.T) {
	big := strings.Repeat("x", 100000)
	tests := []struct {
		name    string
		in      string
		want    [][]string
		wantErr string
	}{
		{"multibulk", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", [][]string{{"GET", "k"}}, ""},
		{"pipeline", "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", [][]string{{"PING"}, {"ECHO", ""}}, ""},
		{"empty multibulk skipped", "*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n", [][]string{{"PING"}}, ""},
		{"inline", "SET k \"a b\\x41\"\r\nGET 'k'\n", [][]string{{"SET", "k", "a bA"}, {"GET", "k"}}, ""},
		{"empty inline skipped", "\r\n   \r\nPING\r\n", [][]string{{"PING"}}, ""},
		{"big arg", "*2\r\n$4\r\nECHO\r\n$100000\r\n" + big + "\r\n", [][]string{{"ECHO", big}}, ""},
		{"bad multibulk len", "*x\r\n", nil, "Protocol error: invalid multibulk length"},
		{"huge multibulk len", "*2147483648\r\n", nil, "Protocol error: invalid multibulk length"},
		{"expected dollar", "*1\r\n+PING\r\n", nil, "Protocol error: expected '$', got '+'"},
		{"negative bulk", "*1\r\n$-1\r\n", nil, "Protocol error: invalid bulk length"},
		{"bulk over max", "*1\r\n$536870913\r\n", nil, "Protocol error: invalid bulk length"},
		{"unbalanced quotes", "SET k \"abc\r\n", nil, "Protocol error: unbalanced quotes in request"},
		{"quote not followed by space", "SET k \"abc\"d\r\n", nil, "Protocol error: unbalanced quotes in request"},
		{"too big inline", strings.Repeat("a", InlineMaxSize+10), nil, "Protocol error: too big inline request"},
		{"too big mbulk count", "*" + strings.Repeat("1", InlineMaxSize+10), nil, "Protocol error: too big mbulk count string"},
		{"too big bulk count", "*1\r\n$" + strings.Repeat("1", InlineMaxSize+10), nil, "Protocol error: too big bulk count string"},
		{"NUL before the newline: never complete", "PING a\x00b\r\n", nil, io.ErrUnexpectedEOF.Error()},
		{"disconnect mid command", "*2\r\n$3\r\nGET\r\n", nil, io.ErrUnexpectedEOF.Error()},
	}
	for _, tt := range tests {
		for _, split := range []bool{false, true} {
			var rd io.Reader = strings.NewReader(tt.in)
			if split {
				rd = &oneByteReader{[]byte(tt.in)}
			}
			got, err := readAll(t, rd)
			if tt.wantErr == "" {
				if !errors.Is(err, io.EOF) {
					t.Errorf("%s (split=%v): unexpected error %v", tt.name, split, err)
				}
			} else if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%s (split=%v): error %v, want %q", tt.name, split, err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s (split=%v): got %q, want %q", tt.name, split, got, tt.want)
			}
		}
	}
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{`a b  c`, []string{"a", "b", "c"}, true},
		{`"a\nb" 'c\'d'`, []string{"a\nb", "c'd"}, true},
		{`""`, []string{""}, true},
		{`"\x4"`, []string{"x4"}, true},
		{`'abc`, nil, false},
		{`"abc"x`, nil, false},
	}
	for _, tt := range tests {
		got, ok := SplitArgs([]byte(tt.in), nil)
		if ok != tt.ok {
			t.Errorf("SplitArgs(%q) ok=%v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		var gs []string
		for _, g := range got {
			gs = append(gs, string(g))
		}
		if !reflect.DeepEqual(gs, tt.want) {
			t.Errorf("SplitArgs(%q) = %q, want %q", tt.in, gs, tt.want)
		}
	}
}

func TestWriterProtocols(t *testing.T) {
	w := NewWriter()
	w.Map(1)
	w.BulkString("a")
	w.Double(1.1)
	w.Null()
	w.Bool(true)
	if got, want := string(w.Bytes()), "*2\r\n$1\r\na\r\n$18\r\n1.1000000000000001\r\n$-1\r\n:1\r\n"; got != want {
		t.Errorf("RESP2: %q, want %q", got, want)
	}
	w.Reset()
	w.Proto = 3
	w.Map(1)
	w.BulkString("a")
	w.Double(1.1)
	w.Null()
	w.Bool(true)
	if got, want := string(w.Bytes()), "%1\r\n$1\r\na\r\n,1.1000000000000001\r\n_\r\n#t\r\n"; got != want {
		t.Errorf("RESP3: %q, want %q", got, want)
	}
}

func TestParseInt(t *testing.T) {
	for in, want := range map[string]bool{"0": true, "-1": true, "9223372036854775807": true, "-9223372036854775808": true,
		"9223372036854775808": false, "01": false, "+1": false, "-0": false, "": false, " 1": false, "1a": false} {
		if _, ok := ParseInt([]byte(in)); ok != want {
			t.Errorf("ParseInt(%q) ok=%v, want %v", in, ok, want)
		}
	}
}

// FuzzReader checks that no input makes the reader panic, loop or return
// arguments that do not come from the input.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "PING\r\n", "*-1\r\n", "$5\r\n", "*1\r\n$-5\r\n",
		"\"a\\x41\" 'b'\n", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$4\r\nPING\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		for i := 0; ; i++ {
			args, err := r.ReadCommand()
			if err != nil {
				if !IsProtocolError(err) && err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				return
			}
			if len(args) == 0 {
				t.Fatal("empty command returned")
			}
			if i > len(data) {
				t.Fatal("more commands than input bytes")
			}
		}
	})
}

func TestQueryBufferLimit(t *testing.T) {
	big := "*1\r\n$200000\r\n" + strings.Repeat("x", 200000) + "\r\n"
	r := NewReader(strings.NewReader(big))
	r.MaxBuffer = 64 * 1024
	if _, err := r.ReadCommand(); err != ErrQueryBufferLimit {
		t.Fatalf("err = %v, want ErrQueryBufferLimit", err)
	}
	r = NewReader(strings.NewReader(big))
	r.MaxBuffer = 1 << 20
	if args, err := r.ReadCommand(); err != nil || len(args[0]) != 200000 {
		t.Fatalf("within the limit: err = %v", err)
	}
}

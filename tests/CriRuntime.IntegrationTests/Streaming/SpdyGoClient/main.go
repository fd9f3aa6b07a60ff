// A streaming client built on github.com/moby/spdystream, the SPDY/3.1 library under kubelet, kubectl and crictl
// (k8s.io/apimachinery/pkg/util/httpstream/spdy). It follows client-go's remotecommand (v4) and portforward
// clients step by step: the HTTP upgrade with X-Stream-Protocol-Version, one stream per channel, each awaited for
// its SYN_REPLY before the next, stdin half-closed when done, a JSON resize stream. It prints one JSON object.
//
//	spdy-client exec URL [-protocols P,...] [-stdin TEXT] [-tty -width W -height H] [-stderr]
//	spdy-client portforward URL -port N [-streams K] [-send TEXT]
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/spdystream"
)

const replyTimeout = 30 * time.Second

type execResult struct {
	Protocol string `json:"protocol"`
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	Error    string `json:"error"`
}

type forwardResult struct {
	Responses []string `json:"responses"`
	Errors    []string `json:"errors"`
}

func main() {
	if len(os.Args) < 3 {
		fail(fmt.Errorf("usage: spdy-client exec|portforward URL [flags]"))
	}
	mode, target := os.Args[1], os.Args[2]
	flags := flag.NewFlagSet(mode, flag.ExitOnError)
	stdin := flags.String("stdin", "", "text written to stdin, then stdin is half-closed")
	withStdin := flags.Bool("with-stdin", false, "open a stdin stream")
	tty := flags.Bool("tty", false, "TTY mode: no stderr stream, a resize stream")
	width := flags.Int("width", 80, "terminal width sent on the resize stream")
	height := flags.Int("height", 24, "terminal height sent on the resize stream")
	stderr := flags.Bool("stderr", false, "open a stderr stream")
	protocols := flags.String("protocols", "v4.channel.k8s.io,v3.channel.k8s.io,v2.channel.k8s.io,channel.k8s.io", "remotecommand subprotocols offered, best first")
	port := flags.Int("port", 0, "port-forward: the pod port")
	streams := flags.Int("streams", 1, "port-forward: concurrent request pairs on one connection")
	send := flags.String("send", "", "port-forward: bytes written on each data stream")
	flags.Parse(os.Args[3:])

	switch mode {
	case "exec":
		conn, protocol := upgrade(target, strings.Split(*protocols, ",")...)
		defer conn.Close()
		r := exec(conn, protocol, *withStdin || *stdin != "", *stdin, *tty, *stderr, *width, *height)
		r.Protocol = protocol
		emit(r)
	case "portforward":
		conn, _ := upgrade(target, "portforward.k8s.io")
		defer conn.Close()
		emit(portForward(conn, *port, *streams, *send))
	default:
		fail(fmt.Errorf("unknown mode %q", mode))
	}
}

// upgrade does what apimachinery's SpdyRoundTripper does: a plain HTTP/1.1 request asking for SPDY/3.1 with the
// accepted subprotocols, a 101 answer naming one, then spdystream over the same TCP connection.
func upgrade(target string, protocols ...string) (*spdystream.Connection, string) {
	u, err := url.Parse(target)
	if err != nil {
		fail(err)
	}
	raw, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		fail(err)
	}
	req, _ := http.NewRequest(http.MethodPost, target, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "SPDY/3.1")
	for _, p := range protocols {
		req.Header.Add("X-Stream-Protocol-Version", p)
	}
	if err := req.Write(raw); err != nil {
		fail(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(raw), req)
	if err != nil {
		fail(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		fail(fmt.Errorf("upgrade: %s: %s", resp.Status, body))
	}
	conn, err := spdystream.NewConnection(raw, false)
	if err != nil {
		fail(err)
	}
	// The server opens no streams of its own; refuse any, as apimachinery's client connection does.
	go conn.Serve(func(s *spdystream.Stream) { s.Refuse() })
	return conn, resp.Header.Get("X-Stream-Protocol-Version")
}

// create opens one stream and waits for its reply, as apimachinery's connection.CreateStream does.
func create(conn *spdystream.Connection, headers http.Header) *spdystream.Stream {
	s, err := conn.CreateStream(headers, nil, false)
	if err != nil {
		fail(err)
	}
	if err := s.WaitTimeout(replyTimeout); err != nil {
		fail(fmt.Errorf("stream %v: %w", headers, err))
	}
	return s
}

// exec is client-go's remotecommand: error, stdin, stdout, stderr (v1 opens it even with a TTY), and from v3 on a
// resize stream with a TTY.
func exec(conn *spdystream.Connection, protocol string, withStdin bool, stdin string, tty, stderr bool, width, height int) execResult {
	headers := http.Header{}
	headers.Set("streamType", "error")
	errorStream := create(conn, headers)
	var in, out, errs, resize *spdystream.Stream
	if withStdin {
		headers.Set("streamType", "stdin")
		in = create(conn, headers)
	}
	headers.Set("streamType", "stdout")
	out = create(conn, headers)
	if stderr && (!tty || protocol == "channel.k8s.io") {
		headers.Set("streamType", "stderr")
		errs = create(conn, headers)
	}
	if tty && (protocol == "v3.channel.k8s.io" || protocol == "v4.channel.k8s.io") {
		headers.Set("streamType", "resize")
		resize = create(conn, headers)
		json.NewEncoder(resize).Encode(map[string]int{"Width": width, "Height": height})
	}
	var r execResult
	var wg sync.WaitGroup
	read := func(s *spdystream.Stream, into *string) {
		defer wg.Done()
		if s == nil {
			return
		}
		b, _ := io.ReadAll(s)
		*into = string(b)
	}
	wg.Add(3)
	go read(out, &r.Stdout)
	go read(errs, &r.Stderr)
	go read(errorStream, &r.Error)
	if in != nil {
		in.Write([]byte(stdin))
		in.Close()
	}
	wg.Wait()
	return r
}

// portForward is kubectl's portforward client: per request an error stream (closed for writing at once) and a
// data stream with the same port and requestID; write, half-close, read to the end.
func portForward(conn *spdystream.Connection, port, streams int, send string) forwardResult {
	r := forwardResult{Responses: make([]string, streams), Errors: make([]string, streams)}
	var wg sync.WaitGroup
	for i := 0; i < streams; i++ {
		headers := http.Header{}
		headers.Set("port", strconv.Itoa(port))
		headers.Set("requestID", strconv.Itoa(i))
		headers.Set("streamType", "error")
		errorStream := create(conn, headers)
		errorStream.Close()
		headers.Set("streamType", "data")
		data := create(conn, headers)
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			b, _ := io.ReadAll(errorStream)
			r.Errors[i] = string(b)
		}(i)
		go func(i int) {
			defer wg.Done()
			data.Write([]byte(send))
			b, _ := io.ReadAll(data)
			r.Responses[i] = string(b)
		}(i)
	}
	wg.Wait()
	return r
}

func emit(v any) {
	json.NewEncoder(os.Stdout).Encode(v)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "spdy-client:", err)
	os.Exit(1)
}

// grpcgo-client dials a CRI socket the way kubelet and crictl up to v1.30 do: grpc-go with the socket path as
// the dial target, so the HTTP/2 :authority is the path. Built from Debian's golang-google-grpc-dev by the
// integration tests (GO111MODULE=off, GOPATH=/usr/share/gocode), never downloaded.
//
// usage: grpcgo-client SOCKET CALLS
// Makes CALLS unary Version calls on one connection, then one GetContainerEvents stream, and prints
//   version OK <calls> <base64 of the last VersionResponse>   or   version ERR <code> <message>
//   events subscribed   or   events <code> <message>
package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// rawCodec sends and receives protobuf bytes as they are, so no generated CRI code is needed.
type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error)      { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error { *(v.(*[]byte)) = append([]byte{}, data...); return nil }
func (rawCodec) Name() string                               { return "proto" }

func main() {
	socket := os.Args[1]
	calls, _ := strconv.Atoi(os.Args[2])
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := grpc.DialContext(ctx, socket, grpc.WithInsecure(), grpc.WithBlock(),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", addr)
		}))
	if err != nil {
		fmt.Println("dial ERR", err)
		os.Exit(1)
	}
	defer conn.Close()

	var response []byte
	for i := 0; i < calls; i++ {
		request := []byte{}
		err = conn.Invoke(ctx, "/runtime.v1.RuntimeService/Version", &request, &response, grpc.ForceCodec(rawCodec{}))
		if err != nil {
			s := status.Convert(err)
			fmt.Println("version ERR", int(s.Code()), s.Message())
			os.Exit(1)
		}
	}
	fmt.Println("version OK", calls, base64.StdEncoding.EncodeToString(response))

	// The events stream stays open while nothing happens; the response headers show the subscription was accepted.
	desc := &grpc.StreamDesc{StreamName: "GetContainerEvents", ServerStreams: true}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stream, err := conn.NewStream(sctx, desc, "/runtime.v1.RuntimeService/GetContainerEvents", grpc.ForceCodec(rawCodec{}))
	if err == nil {
		request := []byte{}
		if err = stream.SendMsg(&request); err == nil {
			err = stream.CloseSend()
		}
	}
	if err == nil {
		_, err = stream.Header()
	}
	if err != nil {
		s := status.Convert(err)
		fmt.Println("events", int(s.Code()), s.Message())
		os.Exit(1)
	}
	fmt.Println("events subscribed")
}

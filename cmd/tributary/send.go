package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/adapters/mllp"
)

// cmdSend is an MLLP client for trying Tributary (or any HL7 listener)
// without installing one: it sends each message of each file and prints
// the acknowledgment.
func cmdSend(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var (
		addr    string
		useTLS  bool
		insec   bool
		timeout time.Duration
		showACK bool
		raw     bool
	)
	fs := newFlagSet("send", "send [flags] FILE...", `Sends HL7 v2 messages over MLLP and prints each acknowledgment: MSA-1 and,
for a negative one, the ERR location, code and text. A file may hold one
message, several, or an FHS/BHS batch. "-" reads standard input. The exit
status is 1 if any message was not accepted (AA or CA).`, stderr)
	fs.StringVar(&addr, "to", "127.0.0.1:2575", "MLLP address to send to")
	fs.BoolVar(&useTLS, "tls", false, "connect with TLS")
	fs.BoolVar(&insec, "tls-insecure", false, "with --tls, do not verify the server certificate (testing only)")
	fs.DurationVar(&timeout, "timeout", 30*time.Second, "time to wait for each acknowledgment")
	fs.BoolVar(&showACK, "print-ack", false, "print each whole ACK message")
	fs.BoolVar(&raw, "raw", false, "send each file as one frame, as is, without splitting or checking it (to test how a listener answers garbage)")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("no input files")}
	}
	var tlsCfg *tls.Config
	if useTLS {
		tlsCfg = &tls.Config{InsecureSkipVerify: insec} //nolint:gosec // opt-in, for test endpoints
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	c, err := mllp.Dial(dctx, addr, tlsCfg)
	cancel()
	if err != nil {
		return err
	}
	defer c.Close()
	rejected, sent := 0, 0
	for _, path := range fs.Args() {
		var b []byte
		if path == "-" {
			b, err = io.ReadAll(os.Stdin)
		} else {
			b, err = os.ReadFile(path)
		}
		if err != nil {
			return err
		}
		msgs := [][]byte{b}
		if !raw {
			f, err := hl7v2.ParseBatch(b)
			if err != nil {
				return fmt.Errorf("%s: %w (use --raw to send it anyway)", path, err)
			}
			msgs = msgs[:0]
			for _, e := range f.Messages() {
				msgs = append(msgs, e.Raw)
			}
		}
		for i, msg := range msgs {
			sctx, cancel := context.WithTimeout(ctx, timeout)
			ack, err := c.Send(sctx, msg)
			cancel()
			if err != nil {
				return fmt.Errorf("%s message %d: %w", path, i+1, err)
			}
			sent++
			code, detail := ackSummary(ack)
			if code != "AA" && code != "CA" {
				rejected++
			}
			fmt.Fprintf(stdout, "%s #%d → %s%s\n", path, i+1, code, detail)
			if showACK {
				fmt.Fprintln(stdout, strings.ReplaceAll(strings.TrimRight(string(ack), "\r"), "\r", "\n"))
			}
		}
	}
	if rejected > 0 {
		return fmt.Errorf("%d of %d messages were not accepted", rejected, sent)
	}
	return nil
}

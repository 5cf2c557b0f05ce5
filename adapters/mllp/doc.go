// Package mllp receives HL7 v2 messages over MLLP (the Minimal Lower Layer
// Protocol: TCP, each message framed as <VT> message <FS><CR>) and hands
// each to the pipeline before acknowledging it.
//
// # Receiving
//
// [Listen] binds; [Listener.Run] serves until its context is done
// ([Listener] is an [adapters.Source]). Each connection has its own
// goroutine and handles its messages strictly in order:
//
//	read frame -> build envelope -> emit -> answer
//
// so a positive acknowledgment is written only after emit returned nil,
// that is after Kafka has the message. Delivery is at least once: a sender
// that gets no answer resends, and deterministic resource ids downstream
// make the duplicate converge.
//
// Every complete frame is emitted, whether or not it parses: the raw topic
// is the system of record, and the normalizer sends what it cannot use to
// the dead-letter topic. The envelope is:
//
//	ID        event.NewID(now)
//	Format    event.FormatHL7v2
//	Kind      "ADT^A01" from MSH-9 (code^trigger), "" when unknown
//	Received  now, in UTC
//	Source    Config.Source ("mllp")
//	Key       MSH-4 (namespace id, else universal id), else MSH-3, else ""
//	Attrs     msh-10, msh-9 (code^trigger^structure), msh-12, remote (the peer's address)
//	Payload   the bytes between <VT> and <FS>, unmodified
//
// For a frame that does not parse, the header fields come from what
// [hl7v2.ParseHeader] recovers of its MSH.
//
// # Answers (original mode)
//
//	frame                                   emit     answer  ERR
//	parses, Check nil or returns nil        nil      AA      -
//	does not parse                          nil      AR      the parse error: its location and 100, 101, 102 or 203
//	Check returns an hl7v2.Error 200-203    nil      AR      its location, code and text
//	Check returns another hl7v2.Error       nil      AE      its location, code and text
//	Check returns any other error           nil      AE      207, a generic text (the error's own text is never sent or logged)
//	anything                                error    AE      207 "message not stored; resend it"
//
// Check runs only for messages that parse, after a successful emit; a
// panic in Check counts as a plain error. The acknowledgment (built by
// [hl7v2.NewACK]) uses the message's delimiters, version and character
// set, swaps sender and receiver, and echoes MSH-10 in MSA-2. After AE or
// AR the connection stays open for the next message.
//
// # Enhanced mode
//
// A message with MSH-15 (accept acknowledgment type) set is answered with
// a commit acknowledgment: CA, CE or CR where original mode would send AA,
// AE or AR, and only as MSH-15 asks: AL always, NE never, ER only for CE
// and CR, SU only for CA; an unknown value counts as AL. MSH-16 alone does
// not switch to enhanced mode.
//
// With MSH-16 (application acknowledgment type) valued too, the commit
// acknowledgment says only whether the message is stored (CA; CE when
// Kafka did not take it), and the application acknowledgment — AA, or AE
// or AR with the Check error — follows on the same connection as MSH-16
// asks: AL always, NE never, ER only for AE and AR, SU only for AA. It is
// an ACK in original mode with a fresh MSH-10 and MSA-2 echoing the
// message's MSH-10. Engines that expect application acknowledgments on a
// separate connection back to them are not served (the verdict is also on
// the dead-letter topic). With MSH-16 empty, a Check error is reported in
// the commit acknowledgment (CE or CR).
//
// # Framing and connections
//
//   - Bytes outside frames are skipped, counted
//     (tributary_mllp_skipped_bytes_total) and logged; a start block
//     inside a frame abandons the partial frame; an end block without the
//     CR after it is accepted. See [Framer].
//   - A frame longer than MaxFrameSize (default 4 MiB) is not emitted; it
//     is answered AR (ERR 207, "exceeds the maximum size") from what of its
//     MSH fits in the limit, and the connection is closed.
//   - Once a start block arrives the frame must complete within
//     ReadTimeout, else the connection is closed without an answer (nothing
//     was emitted). The TLS handshake and each ACK write have the same bound.
//   - A connection on which no frame starts within IdleTimeout is closed.
//   - Connections beyond MaxConnections are closed as soon as accepted.
//   - With Config.TLS, only TLS connections are served.
//
// # Shutdown
//
// When Run's context is done the listener stops accepting, closes idle
// connections at once, and lets each message in flight (a started frame,
// or one being emitted) complete, be emitted and be answered; then the
// connection is closed. Emits get a context that is not canceled with
// Run's, but at ShutdownTimeout (default 10 s): then the remaining
// connections are closed and Run returns once their goroutines have ended
// (an emit must return when its context is done). Run returns nil.
//
// # Forwarding to a legacy engine
//
// With Config.Forward, every stored message (emit returned nil) is also
// relayed, byte for byte, to a legacy interface engine's MLLP endpoint, so
// Tributary can run beside an existing engine and take feeds over
// gradually (the strangler fig). A message that was not stored is not
// forwarded: its sender got AE and will resend it. Oversized frames are
// neither stored nor forwarded.
//
// In [ForwardTee] mode the sender is answered as without forwarding;
// copies go to a bounded in-memory queue (Forward.QueueSize) and one
// worker relays them over one connection, in the order they were queued,
// so each connection's messages arrive in the order sent. A message is
// retried, with backoff, until the engine answers it; nothing behind it
// overtakes it. The forwarding never holds up the sender or Kafka: when
// the queue is full the copy is dropped, counted and logged with its
// envelope id. At shutdown the queue is drained until the shutdown
// deadline; what remains is dropped and logged as a range of envelope
// ids. The queue is in memory: the durable copy of every message is the
// raw topic, from which dropped ones can be replayed by envelope id.
//
// In [ForwardPassthrough] mode ("legacy-ack") the legacy engine keeps
// answering the sender: each message is stored in Kafka, then forwarded
// on the connection's own link to the engine (one per upstream
// connection, so order is that of the sender), and the engine's ACK is
// relayed unmodified. When the engine cannot be reached, does not answer
// within Forward.AckTimeout, or answers with an invalid ACK, the sender
// gets Forward.Unreachable (AE by default, or AR) with ERR 207; the
// message is stored either way. Tributary's own verdict (parse, Check)
// is not sent but compared: tributary_mllp_forward_disagreements_total
// counts messages where it and the engine disagree on acceptance, a
// measure of readiness to take the feed over. The sender's timeout must
// cover Kafka and the engine together.
//
// Both modes check the legacy ACK: it must parse, its MSA-2 must equal
// the message's MSH-10, and MSA-1 decides accepted (AA, CA), error (AE,
// CE) or rejected (AR, CR). An ACK with another MSA-2 means the link is
// out of step; it is closed and the message counted as invalid_ack, like
// an answer that is not an ACK. These and AE/AR from the engine are not
// retried (as an interface engine marks them errored); connection
// failures and timeouts are (tee) or answered (passthrough). A connection
// the engine closed while idle is redialed and the message resent once at
// once. A message whose MSH-15 is NE is not waited for; with ER or SU the
// link waits Forward.AckTimeout for an answer that may not come.
// Dialing backs off exponentially (Forward.MinBackoff to MaxBackoff)
// after failures, for all links together. Delivery to the engine is at
// least once. Metrics: tributary_mllp_forward_total{result},
// tributary_mllp_forward_errors_total{kind},
// tributary_mllp_forward_queue_length,
// tributary_mllp_forward_ack_duration_seconds and
// tributary_mllp_forward_disagreements_total; logs name envelope ids and
// MSA-1 codes, never message or ACK content.
//
// # Observability
//
// Logs (Config.Logger) and metrics (Config.Registerer, labelled with the
// source) name connections, envelope ids, kinds, codes and locations,
// never message content: tributary_mllp_frames_total,
// tributary_mllp_acks_total{code}, tributary_mllp_errors_total{kind},
// tributary_mllp_skipped_bytes_total, tributary_mllp_connections and
// tributary_mllp_emit_duration_seconds.
//
// # Sending
//
// [Dial] returns a [Client] whose Send frames a message, writes it and
// reads one frame back: for tests, the demo mode and benchmarks.
package mllp

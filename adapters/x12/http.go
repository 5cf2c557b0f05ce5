package x12

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/tributary-health/tributary/adapters"
)

// DefaultMaxBodySize bounds an HTTP upload unless [HandlerConfig] says
// otherwise.
const DefaultMaxBodySize = 16 << 20

// ContentType is the media type of X12 (RFC 1767), of the answers.
const ContentType = "application/edi-x12"

// HandlerConfig configures the handler of [NewHandler].
type HandlerConfig struct {
	// MaxBodySize is the largest request body read, in bytes; default
	// [DefaultMaxBodySize]. A larger one is answered 413.
	MaxBodySize int64
	// RetryAfter is the Retry-After of a 503, in seconds; default 5.
	RetryAfter int
}

// NewHandler returns the handler of POST /x12: the body is X12 text (any
// Content-Type; application/edi-x12 is the proper one) holding one or
// more interchanges, which it ingests with in, emitting with emit, and
// answers synchronously:
//
//	200  application/edi-x12: the TA1 and 999 of each interchange, in order
//	     (a rejected interchange is stored too: the answer says what is wrong)
//	400  text/plain: the body cannot be split into interchanges; where and why
//	413  text/plain: the body, or one interchange, is over its size limit
//	503  text/plain: Kafka did not take an interchange; send the body again
//	     (interchanges before it may be stored twice; duplicates converge)
//	500  text/plain: an acknowledgment could not be built (the input is stored)
//
// Nothing is answered 200 before Kafka acknowledged every interchange of
// the body. Error texts locate the problem and never hold input data.
func NewHandler(in *Intake, emit adapters.Emit, cfg HandlerConfig) http.Handler {
	if cfg.MaxBodySize <= 0 {
		cfg.MaxBodySize = DefaultMaxBodySize
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 5
	}
	return &handler{in: in, emit: emit, cfg: cfg}
}

type handler struct {
	in   *Intake
	emit adapters.Emit
	cfg  HandlerConfig
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		plain(w, http.StatusMethodNotAllowed, "POST an X12 interchange")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodySize))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			plain(w, http.StatusRequestEntityTooLarge, "body exceeds "+strconv.FormatInt(h.cfg.MaxBodySize, 10)+" bytes")
			return
		}
		plain(w, http.StatusBadRequest, "reading the body failed")
		return
	}
	ctx := r.Context()
	res, err := h.in.IngestBytes(ctx, h.emit, body, Origin{Remote: r.RemoteAddr})
	var se *SplitError
	var ee *EmitError
	switch {
	case err == nil:
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(res.Ack())))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(res.Ack())
		h.in.log.LogAttrs(ctx, slog.LevelInfo, "x12 upload stored", slog.Int("interchanges", len(res.Interchanges)), slog.Bool("accepted", res.Accepted()))
	case errors.As(err, &se) && errors.Is(err, ErrTooLarge):
		plain(w, http.StatusRequestEntityTooLarge, se.Error()+" of "+strconv.Itoa(h.in.cfg.MaxInterchangeSize)+" bytes; nothing stored")
	case errors.As(err, &se):
		plain(w, http.StatusBadRequest, se.Error()+"; nothing stored")
	case errors.As(err, &ee):
		h.in.log.LogAttrs(ctx, slog.LevelWarn, "x12 upload not stored", slog.Int("interchange", ee.Interchange), slog.String("err", err.Error()))
		w.Header().Set("Retry-After", strconv.Itoa(h.cfg.RetryAfter))
		plain(w, http.StatusServiceUnavailable, "interchange "+strconv.Itoa(ee.Interchange)+" not stored; send the body again")
	default:
		plain(w, http.StatusInternalServerError, "acknowledgment not built; the input is stored")
	}
}

func plain(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg+"\n")
}

package adapters

import (
	"context"

	"github.com/tributary-health/tributary/event"
)

// Emit durably hands one envelope to the pipeline. It returns only after the
// envelope is acknowledged by Kafka, or with an error. It is safe for
// concurrent use.
type Emit func(context.Context, event.Envelope) error

// A Source reads from one upstream system until ctx is done. It acknowledges
// upstream (MLLP ACK, file archive, CDC commit) only after emit returns nil, so
// delivery is at least once. Run returns nil on clean shutdown.
type Source interface {
	Run(ctx context.Context, emit Emit) error
}

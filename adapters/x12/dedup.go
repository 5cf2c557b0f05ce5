package x12

import (
	"sync"
	"time"
)

// window remembers the interchange control numbers of each sender for a
// time, to answer a resent interchange with TA1 note 025. It lives in
// memory: a restart forgets it, another instance does not share it, and
// past its limit the oldest numbers are forgotten early. It is safe for
// concurrent use.
type window struct {
	mu    sync.Mutex
	d     time.Duration
	limit int
	keys  map[string]bool // true: stored; false: reserved by an input in flight
	order []stamp         // stored keys, oldest first
	head  int             // order[head:] is live
}

type stamp struct {
	key string
	at  time.Time
}

func newWindow(d time.Duration, limit int) *window {
	return &window{d: d, limit: limit, keys: map[string]bool{}}
}

// reserve claims key for an input in flight; it returns false when the
// key was stored within the window or is reserved by another input.
func (w *window) reserve(key string, now time.Time) bool {
	if w == nil {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expire(now)
	if _, ok := w.keys[key]; ok {
		return false
	}
	w.keys[key] = false
	return true
}

// commit marks reserved keys as stored, from now on.
func (w *window) commit(keys []string, now time.Time) {
	if w == nil || len(keys) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range keys {
		w.keys[k] = true
		w.order = append(w.order, stamp{k, now})
	}
	w.expire(now)
}

// release forgets reserved keys of an input that was not stored, so that
// its resend is not a duplicate.
func (w *window) release(keys []string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range keys {
		if stored, ok := w.keys[k]; ok && !stored {
			delete(w.keys, k)
		}
	}
}

// expire drops stored keys older than the window, and the oldest ones
// beyond the limit.
func (w *window) expire(now time.Time) {
	for w.head < len(w.order) {
		s := w.order[w.head]
		if now.Sub(s.at) < w.d && len(w.order)-w.head <= w.limit {
			break
		}
		delete(w.keys, s.key)
		w.order[w.head] = stamp{}
		w.head++
	}
	// Reuse the slice once most of it is dead.
	if w.head > 1024 && w.head*2 > len(w.order) {
		n := copy(w.order, w.order[w.head:])
		clear(w.order[n:])
		w.order = w.order[:n]
		w.head = 0
	}
}

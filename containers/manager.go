package containers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kestrel-sec/kestrel/state"
)

// Options configure a [Manager]; the zero value is the default.
type Options struct {
	// Timeout bounds one lookup in one runtime (default 2 s).
	Timeout time.Duration
	// Workers is how many lookups run at once (default 4).
	Workers int
	// Retry is how long to wait before asking again for a container no
	// runtime knows yet, one wait per new try (default 100 ms, 500 ms,
	// 2 s): a container's cgroup may appear before its runtime has
	// registered it.
	Retry []time.Duration
	// Log receives the manager's messages (default: discarded).
	Log *slog.Logger
}

// Defaults.
const (
	defaultTimeout = 2 * time.Second
	defaultWorkers = 4
	queueLen       = 4096
	// watchBackoffMax bounds the wait before a failed event stream is
	// opened again.
	watchBackoffMax = 30 * time.Second
)

var defaultRetry = []time.Duration{100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second}

// update is what a lookup or a runtime event found, for the model.
type update struct {
	put    []*state.Container
	remove string // a container id to forget
}

// request is a lookup to make.
type request struct {
	q     Query
	rt    Runtime // only this runtime, when set (a runtime's own event)
	tries int
	// once: not when a lookup of the container answered lately (the
	// runtime's create event came first).
	once bool
}

// answerTTL is how long an answer spares the lookups asked with once.
const answerTTL = time.Minute

// Manager looks up, off the event goroutine, the containers the model
// sees, and the containers the runtimes report, and hands the records to
// the model by message: it is the model's [state.ContainerWatcher], and
// the pipeline's inbox ([Manager.Ready], [Manager.ApplyTo]).
type Manager struct {
	rts   []Runtime
	opts  Options
	log   *slog.Logger
	reqs  chan request
	out   chan update
	stats Stats

	mu       sync.Mutex
	inflight map[string]bool      // by full id (or id)
	answered map[string]time.Time // when a lookup last answered, by the same key
	failing  map[Runtime]bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Stats count what the manager did.
type Stats struct {
	Lookups      atomic.Uint64 // lookups answered with a record
	NotFound     atomic.Uint64 // lookups no runtime could answer, after every retry
	Errors       atomic.Uint64 // lookups a runtime failed (error or timeout)
	Dropped      atomic.Uint64 // lookups not made: the queue was full
	Events       atomic.Uint64 // runtime events received
	Removed      atomic.Uint64 // containers forgotten on a runtime's word
	LatencyNanos atomic.Uint64 // total time of the answered lookups
}

// NewManager returns a manager over the runtimes rts; [Manager.Start]
// starts its goroutines.
func NewManager(rts []Runtime, o Options) *Manager {
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if o.Workers <= 0 {
		o.Workers = defaultWorkers
	}
	if o.Retry == nil {
		o.Retry = defaultRetry
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Manager{rts: rts, opts: o, log: log,
		reqs: make(chan request, queueLen), out: make(chan update, queueLen),
		inflight: make(map[string]bool), answered: make(map[string]time.Time), failing: make(map[Runtime]bool)}
}

// Runtimes returns the runtimes the manager asks.
func (m *Manager) Runtimes() []Runtime { return m.rts }

// Stats returns the manager's counters.
func (m *Manager) Stats() *Stats { return &m.stats }

// Start starts the lookup workers and one event watcher per runtime; they
// run until ctx is done or [Manager.Close].
func (m *Manager) Start(ctx context.Context) {
	m.ctx, m.cancel = context.WithCancel(ctx)
	for range m.opts.Workers {
		m.wg.Go(m.work)
	}
	for _, rt := range m.rts {
		m.wg.Go(func() { m.watch(rt) })
	}
}

// Close stops the goroutines and closes the runtimes' connections.
func (m *Manager) Close() error {
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	var errs []error
	for _, rt := range m.rts {
		if err := rt.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rt.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// ContainerSeen asks for a lookup of the container the model first saw
// in a thread's cgroups. It never blocks: when the queue is full the
// lookup is counted as dropped.
func (m *Manager) ContainerSeen(c *state.CgroupContainer, id string) {
	if !m.served(c.Type) {
		return
	}
	q := Query{ID: id, FullID: string(c.FullID), Type: c.Type, Namespace: string(c.Namespace()),
		OwnerUID: c.OwnerUID, Rootless: c.Rootless}
	if c.HasPod() {
		q.PodUID = string(c.AppendPodUID(nil))
	}
	m.enqueue(request{q: q, once: true})
}

// served reports whether a runtime serves containers of type t.
func (m *Manager) served(t state.ContainerType) bool {
	for _, rt := range m.rts {
		if rt.Serves(t) {
			return true
		}
	}
	return false
}

// enqueue queues r unless a lookup of the same container is under way.
func (m *Manager) enqueue(r request) {
	key := r.q.key()
	m.mu.Lock()
	if at, ok := m.answered[key]; m.inflight[key] || r.once && ok && time.Since(at) < answerTTL {
		m.mu.Unlock()
		return
	}
	m.inflight[key] = true
	m.mu.Unlock()
	select {
	case m.reqs <- r:
	default:
		m.done(key)
		m.stats.Dropped.Add(1)
	}
}

// answer ends the lookup of key, noting when it answered; answers older
// than answerTTL are forgotten as the table grows.
func (m *Manager) answer(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.inflight, key)
	now := time.Now()
	if len(m.answered) >= queueLen {
		for k, at := range m.answered {
			if now.Sub(at) >= answerTTL {
				delete(m.answered, k)
			}
		}
	}
	m.answered[key] = now
}

func (m *Manager) done(key string) {
	m.mu.Lock()
	delete(m.inflight, key)
	m.mu.Unlock()
}

func (q *Query) key() string {
	if q.FullID != "" {
		return q.Namespace + "/" + q.FullID
	}
	return q.Namespace + "/" + q.ID
}

// Ready reports whether records wait for the model.
func (m *Manager) Ready() bool { return len(m.out) > 0 }

// ApplyTo puts in st the records found so far, without waiting.
func (m *Manager) ApplyTo(st *state.State) {
	for {
		select {
		case u := <-m.out:
			for _, c := range u.put {
				st.PutContainer(c)
			}
			if u.remove != "" {
				st.RemoveContainer(u.remove)
			}
		default:
			return
		}
	}
}

// send hands u to the model; it waits for room, unless the manager stops.
func (m *Manager) send(u update) {
	select {
	case m.out <- u:
	case <-m.ctx.Done():
	}
}

// work makes lookups until the manager stops.
func (m *Manager) work() {
	for {
		select {
		case r := <-m.reqs:
			m.lookup(r)
		case <-m.ctx.Done():
			return
		}
	}
}

// lookup asks the runtimes for r's container, the first that knows it
// answering; when none does yet, it tries again later.
func (m *Manager) lookup(r request) {
	key := r.q.key()
	start := time.Now()
	recs, err := m.inspect(r)
	if err == nil {
		m.answer(key)
		m.stats.Lookups.Add(1)
		m.stats.LatencyNanos.Add(uint64(time.Since(start)))
		m.send(update{put: recs})
		return
	}
	if r.tries >= len(m.opts.Retry) {
		m.done(key)
		m.stats.NotFound.Add(1)
		m.log.Debug("container lookup failed", "id", r.q.ID, "error", err)
		return
	}
	wait := m.opts.Retry[r.tries]
	r.tries++
	time.AfterFunc(wait, func() {
		if m.ctx.Err() != nil {
			return
		}
		select {
		case m.reqs <- r:
		default:
			m.done(key)
			m.stats.Dropped.Add(1)
		}
	})
}

// inspect asks each runtime that serves r's container in turn.
func (m *Manager) inspect(r request) ([]*state.Container, error) {
	err := ErrNotFound
	for _, rt := range m.rts {
		if r.rt != nil && rt != r.rt || r.rt == nil && !rt.Serves(r.q.Type) {
			continue
		}
		ctx, cancel := context.WithTimeout(m.ctx, m.opts.Timeout)
		recs, ierr := rt.Inspect(ctx, r.q)
		cancel()
		switch {
		case ierr == nil && len(recs) > 0:
			m.healthy(rt)
			return recs, nil
		case ierr == nil, errors.Is(ierr, ErrNotFound):
			m.healthy(rt)
		default:
			m.failed(rt, ierr)
			err = ierr
		}
	}
	return nil, err
}

// failed reports a runtime's failure once, until it answers again.
func (m *Manager) failed(rt Runtime, err error) {
	m.stats.Errors.Add(1)
	if m.ctx.Err() != nil {
		return
	}
	m.mu.Lock()
	first := !m.failing[rt]
	m.failing[rt] = true
	m.mu.Unlock()
	if first {
		m.log.Warn("container runtime failed; its failures are counted from now on, not logged", "runtime", rt.Name(), "error", err)
	}
}

// healthy notes that a runtime answered, saying so if it had failed.
func (m *Manager) healthy(rt Runtime) {
	m.mu.Lock()
	was := m.failing[rt]
	delete(m.failing, rt)
	m.mu.Unlock()
	if was {
		m.log.Info("container runtime answers again", "runtime", rt.Name())
	}
}

// watch follows rt's container events until the manager stops, opening
// the stream again after a failure.
func (m *Manager) watch(rt Runtime) {
	events := make(chan Event, 256)
	go func() {
		for {
			select {
			case ev := <-events:
				m.event(rt, ev)
			case <-m.ctx.Done():
				return
			}
		}
	}()
	backoff := time.Second
	for {
		start := time.Now()
		err := rt.Watch(m.ctx, events)
		if m.ctx.Err() != nil {
			return
		}
		if errors.Is(err, errors.ErrUnsupported) {
			m.log.Debug("container runtime has no event stream", "runtime", rt.Name(), "error", err)
			return
		}
		if time.Since(start) > watchBackoffMax {
			backoff = time.Second
		}
		m.log.Debug("container runtime events stopped", "runtime", rt.Name(), "error", err, "retry", backoff)
		select {
		case <-time.After(backoff):
		case <-m.ctx.Done():
			return
		}
		backoff = min(2*backoff, watchBackoffMax)
	}
}

// event acts on a runtime's container event: a container created or
// started is looked up at once, often before its first system call; one
// removed is forgotten.
func (m *Manager) event(rt Runtime, ev Event) {
	m.stats.Events.Add(1)
	switch ev.Kind {
	case Created, Started:
		// Created looks up; Started only when that found nothing.
		q := Query{ID: ShortID(ev.FullID), FullID: ev.FullID, Namespace: ev.Namespace}
		m.enqueue(request{q: q, rt: rt, tries: len(m.opts.Retry), once: ev.Kind == Started})
	case Removed:
		m.stats.Removed.Add(1)
		q := Query{FullID: ev.FullID, Namespace: ev.Namespace}
		m.mu.Lock()
		delete(m.answered, q.key())
		m.mu.Unlock()
		m.send(update{remove: ShortID(ev.FullID)})
	}
}

package okta

import (
	"time"

	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// mfaKind is the kind of MFA event a counter counts.
type mfaKind byte

// The kinds of MFA events counted: a failed verification
// (user.authentication.auth_via_mfa with outcome FAILURE) and a push the
// user denied (user.mfa.okta_verify.deny_push).
const (
	mfaNone    mfaKind = 0
	mfaFailure mfaKind = 'f'
	mfaDeny    mfaKind = 'd'
)

// mfaKindOf returns the kind of MFA event an event is, if any.
func mfaKindOf(root jsonsrc.Value) mfaKind {
	typ := root.Get("eventType")
	switch {
	case typ.StrEq("user.mfa.okta_verify.deny_push"):
		return mfaDeny
	case typ.StrEq("user.authentication.auth_via_mfa") && root.Get("outcome").Get("result").StrEq("FAILURE"):
		return mfaFailure
	}
	return mfaNone
}

// mfaView is what the okta.mfa.* fields read for the current event: its
// kind, its time and the times of its actor's events of that kind.
type mfaView struct {
	kind  mfaKind
	now   uint64
	times []uint64 // valid until the next Decode
}

// countLast returns how many of the actor's events of kind k happened in
// the window seconds up to the current event, itself included; ok is
// false when the current event is not of kind k.
func (v mfaView) countLast(k mfaKind, window int) (uint64, bool) {
	if v.kind != k || k == mfaNone {
		return 0, false
	}
	var oldest uint64
	if w := uint64(window) * uint64(time.Second); w < v.now {
		oldest = v.now - w
	}
	var n uint64
	for _, t := range v.times {
		if t > oldest {
			n++
		}
	}
	return n, true
}

// mfaCache keeps, per key (kind and actor id), the times of recent MFA
// events, in a fixed number of slots reused in least recently updated
// order. Keys expire when no event updated them for ttl, in event time.
type mfaCache struct {
	maxKeys, maxTimes int
	ttl               uint64
	index             map[string]int32
	slots             []mfaSlot
	free              []int32 // slots that hold no key
	head, tail        int32   // most and least recently updated; -1 when empty
}

// mfaSlot holds one key's times.
type mfaSlot struct {
	key        string
	times      []uint64
	updated    uint64 // the latest event time seen
	prev, next int32
}

// configure sets the bounds the first time the cache is used.
func (m *mfaCache) configure(maxKeys, maxTimes int, ttl time.Duration) {
	if m.index != nil {
		return
	}
	m.maxKeys, m.maxTimes = maxKeys, maxTimes
	if m.maxKeys <= 0 {
		m.maxKeys = DefaultCacheMaxUsers
	}
	if m.maxTimes <= 0 {
		m.maxTimes = DefaultCacheUserMaxSize
	}
	if ttl <= 0 {
		ttl = DefaultCacheExpiration
	}
	m.ttl = uint64(ttl)
	m.index = make(map[string]int32)
	m.head, m.tail = -1, -1
}

// add records an event of key at ts and returns the key's times, valid
// until the next add.
func (m *mfaCache) add(key []byte, ts uint64) []uint64 {
	m.expire(ts)
	i, ok := m.index[string(key)]
	if !ok {
		i = m.insert(string(key))
	}
	s := &m.slots[i]
	if ts > s.updated && ts-s.updated > m.ttl {
		s.times = s.times[:0] // expired, not yet recycled
	}
	s.record(ts, m.maxTimes)
	s.updated = max(s.updated, ts)
	m.unlink(i)
	m.pushFront(i)
	return s.times
}

// record appends ts unless already there, dropping the oldest entry past
// limit.
func (s *mfaSlot) record(ts uint64, limit int) {
	for _, t := range s.times {
		if t == ts {
			return
		}
	}
	if len(s.times) >= limit {
		n := copy(s.times, s.times[len(s.times)-limit+1:])
		s.times = s.times[:n]
	}
	s.times = append(s.times, ts)
}

// expire recycles the least recently updated keys that have expired.
func (m *mfaCache) expire(now uint64) {
	for m.tail >= 0 {
		s := &m.slots[m.tail]
		if now <= s.updated || now-s.updated <= m.ttl {
			return
		}
		m.remove(m.tail)
	}
}

// insert gives key a slot: a new one while the cache has room, else the
// least recently updated one's.
func (m *mfaCache) insert(key string) int32 {
	if len(m.index) >= m.maxKeys {
		m.remove(m.tail)
	}
	i := m.freeSlot()
	s := &m.slots[i]
	s.key, s.times, s.updated = key, s.times[:0], 0
	m.index[key] = i
	m.pushFront(i)
	return i
}

// freeSlot returns a slot that holds no key: a recycled one, else a new
// one.
func (m *mfaCache) freeSlot() int32 {
	if n := len(m.free); n > 0 {
		i := m.free[n-1]
		m.free = m.free[:n-1]
		return i
	}
	m.slots = append(m.slots, mfaSlot{prev: -1, next: -1})
	return int32(len(m.slots) - 1)
}

// remove forgets the key of slot i and unlinks the slot.
func (m *mfaCache) remove(i int32) {
	s := &m.slots[i]
	delete(m.index, s.key)
	s.key = ""
	s.times = s.times[:0]
	m.unlink(i)
	m.free = append(m.free, i)
}

func (m *mfaCache) unlink(i int32) {
	s := &m.slots[i]
	if s.prev >= 0 {
		m.slots[s.prev].next = s.next
	} else if m.head == i {
		m.head = s.next
	}
	if s.next >= 0 {
		m.slots[s.next].prev = s.prev
	} else if m.tail == i {
		m.tail = s.prev
	}
	s.prev, s.next = -1, -1
}

func (m *mfaCache) pushFront(i int32) {
	s := &m.slots[i]
	s.prev, s.next = -1, m.head
	if m.head >= 0 {
		m.slots[m.head].prev = i
	}
	m.head = i
	if m.tail < 0 {
		m.tail = i
	}
}

// keys returns how many keys the cache holds.
func (m *mfaCache) keys() int { return len(m.index) }

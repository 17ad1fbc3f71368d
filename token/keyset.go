package token

import (
	"errors"
	"fmt"
	"slices"
)

// KeySet is an immutable set of keys with distinct kids. Verifiers look keys
// up in it by kid; a JWKS document renders its public part.
type KeySet struct {
	keys []*Key
	byID map[string]*Key
}

// NewKeySet returns the set of keys, in the order given. It fails on a nil
// key or two keys with the same kid.
func NewKeySet(keys ...*Key) (*KeySet, error) {
	s := &KeySet{keys: slices.Clone(keys), byID: make(map[string]*Key, len(keys))}
	for _, k := range keys {
		if k == nil {
			return nil, errors.New("token: nil key in key set")
		}
		if _, dup := s.byID[k.ID()]; dup {
			return nil, fmt.Errorf("token: key %s is in the set twice", k.ID())
		}
		s.byID[k.ID()] = k
	}
	return s, nil
}

// Key returns the key with kid, if the set has it.
func (s *KeySet) Key(kid string) (*Key, bool) {
	if s == nil {
		return nil, false
	}
	k, ok := s.byID[kid]
	return k, ok
}

// Keys returns the keys of the set in order (a copy).
func (s *KeySet) Keys() []*Key {
	if s == nil {
		return nil
	}
	return slices.Clone(s.keys)
}

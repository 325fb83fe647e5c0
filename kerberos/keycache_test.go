package kerberos

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestKeyCache(t *testing.T) {
	c := NewKeyCache(2)
	want, _ := DeriveKey(DerivationOld, 100, "MMQea3n!fsik")
	got, err := c.Key(DerivationOld, 100, "MMQea3n!fsik")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%x, %v", got, err)
	}
	// Callers own their copy.
	got[0] ^= 0xff
	again, _ := c.Key(DerivationOld, 100, "MMQea3n!fsik")
	if !bytes.Equal(again, want) {
		t.Fatal("cached key modified through a returned slice")
	}
	// Method, PID and password all take part in the lookup.
	for _, k := range []struct {
		d   Derivation
		pid uint64
		pw  string
	}{{DerivationNew, 100, "MMQea3n!fsik"}, {DerivationOld, 101, "MMQea3n!fsik"}, {DerivationOld, 100, "other"}} {
		got, _ := c.Key(k.d, k.pid, k.pw)
		exp, _ := DeriveKey(k.d, k.pid, k.pw)
		if !bytes.Equal(got, exp) {
			t.Errorf("%+v: %x, want %x", k, got, exp)
		}
	}
	if n := c.Len(); n != 2 {
		t.Errorf("Len = %d, cap 2", n)
	}
	if _, err := c.Key(Derivation(9), 1, "x"); !errors.Is(err, ErrInvalidSettings) {
		t.Errorf("bad derivation: %v", err)
	}
	if c.Len() != 2 {
		t.Error("a failed derivation was cached")
	}
}

func TestKeyCacheLRU(t *testing.T) {
	c := NewKeyCache(2)
	c.Key(DerivationNew, 1, "a")
	c.Key(DerivationNew, 2, "b")
	c.Key(DerivationNew, 1, "a") // 1 is now the most recent
	c.Key(DerivationNew, 3, "c") // evicts 2
	c.mu.Lock()
	_, has1 := c.entries[cacheKey{DerivationNew, 1, md5.Sum([]byte("a"))}]
	_, has2 := c.entries[cacheKey{DerivationNew, 2, md5.Sum([]byte("b"))}]
	c.mu.Unlock()
	if !has1 || has2 {
		t.Errorf("after LRU eviction: has1=%v has2=%v", has1, has2)
	}
}

func TestKeyCacheNilAndDefault(t *testing.T) {
	var c *KeyCache
	got, err := c.Key(DerivationNew, 123456, "password")
	if err != nil || fmt.Sprintf("%x", got) != "591b45defe20abcd6ec412b63fbacff5" {
		t.Fatalf("nil cache: %x, %v", got, err)
	}
	if c.Len() != 0 {
		t.Error("nil cache has entries")
	}
	if NewKeyCache(0).max != DefaultKeyCacheSize {
		t.Error("default size not applied")
	}
}

func TestKeyCacheConcurrent(t *testing.T) {
	c := NewKeyCache(16)
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := range 40 {
				pid := uint64((w + i) % 24) // more keys than slots: evictions race with hits
				got, err := c.Key(DerivationNew, pid, "pw")
				exp, _ := DeriveKey(DerivationNew, pid, "pw")
				if err != nil || !bytes.Equal(got, exp) {
					t.Errorf("pid %d: %x, %v", pid, got, err)
					return
				}
			}
		})
	}
	// Many goroutines missing on one old-method key derive it once and
	// all get the right answer.
	want, _ := DeriveKey(DerivationOld, 2, "password")
	for range 8 {
		wg.Go(func() {
			if got, _ := c.Key(DerivationOld, 2, "password"); !bytes.Equal(got, want) {
				t.Error("concurrent miss returned a wrong key")
			}
		})
	}
	wg.Wait()
	if c.Len() > 16 {
		t.Errorf("Len %d over cap", c.Len())
	}
}

func TestSourceKey(t *testing.T) {
	k, err := SourceKeyFromHex("3b4aa7a1ebad88440c1954e645b96976")
	if err != nil || ToHex(k) != "3b4aa7a1ebad88440c1954e645b96976" {
		t.Fatalf("%x, %v", k, err)
	}
	if k, err := SourceKeyFromHex("3B4AA7A1EBAD88440C1954E645B96976"); err != nil || ToHex(k) != "3b4aa7a1ebad88440c1954e645b96976" {
		t.Errorf("upper case: %x, %v", k, err)
	}
	for _, bad := range []string{"", "abc", "zz", string(make([]byte, 514))} {
		if _, err := SourceKeyFromHex(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("%.10q: %v", bad, err)
		}
	}
	c := NewKeyCache(4)
	// An explicit key wins over the password.
	if k, err := c.UserKey("00112233445566778899aabbccddeeff", DerivationNew, 1, "pw"); err != nil || ToHex(k) != "00112233445566778899aabbccddeeff" {
		t.Errorf("explicit: %x, %v", k, err)
	}
	if c.Len() != 0 {
		t.Error("explicit key went through derivation")
	}
	// Empty means derive.
	want, _ := DeriveKey(DerivationNew, 564330319085596911, "MMQea3n!fsik")
	if k, err := c.UserKey("", DerivationNew, 564330319085596911, "MMQea3n!fsik"); err != nil || !bytes.Equal(k, want) {
		t.Errorf("derived: %x, %v", k, err)
	}
	if _, err := c.UserKey("nothex", DerivationNew, 1, "pw"); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad hex: %v", err)
	}
}

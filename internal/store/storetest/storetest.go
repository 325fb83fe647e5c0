// Package storetest holds the conformance suites that every backend of
// package store runs from its own tests: Test<Domain>(t, factory), where the
// factory returns a fresh, empty, isolated store for each subtest (and
// registers its cleanup with t.Cleanup).
//
// Backends that need a server read its address from an environment
// variable (see Env); the variables are:
//
//	NEXPROXY_TEST_POSTGRES      postgres://user:pw@127.0.0.1:5432/db?sslmode=disable
//	NEXPROXY_TEST_REDIS         redis://127.0.0.1:6379/0
//	NEXPROXY_TEST_S3            http://127.0.0.1:7070 (scheme picks TLS)
//	NEXPROXY_TEST_S3_ACCESS_KEY, NEXPROXY_TEST_S3_SECRET_KEY
//	NEXPROXY_TEST_S3_BUCKET     (default nexproxy-test; created if missing)
//	NEXPROXY_TEST_S3_REGION     (default us-east-1)
package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
)

// Env returns the value of the environment variable name, which tells a
// test where its server is. When it is unset the test fails under CI=true
// (so a CI that forgot to start a server cannot pass silently) and is
// skipped elsewhere, saying what to set.
func Env(t testing.TB, name, example string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	msg := name + " is not set; set it to run this test against a real server, e.g. " + name + "=" + example
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: .ci/run starts the servers and sets it)")
	}
	t.Skip(msg)
	return ""
}

// RandomName returns prefix followed by 12 random hex digits, for schemas,
// key prefixes and games that isolate one test from the others.
func RandomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

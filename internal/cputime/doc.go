// Package cputime reads the CPU time the process has used, for `nexproxy
// bench` and the benchmarks that report CPU per call.
package cputime

package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// profiler writes the --self server's profiles (bench --profile) on the
// parent's request, so that each run gets a CPU profile of its own.
type profiler struct {
	cpu *os.File // open while a CPU profile runs
}

// do runs one request of the parent: "cpu PATH", "cpu-stop" or
// "heap PATH".
func (p *profiler) do(cmd, path string) error {
	switch cmd {
	case "cpu":
		if p.cpu != nil {
			return errors.New("a CPU profile is already running")
		}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			_ = f.Close()
			return err
		}
		p.cpu = f
		return nil
	case "cpu-stop":
		return p.stopCPU()
	case "heap":
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		runtime.GC()
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return fmt.Errorf("unknown profile request %q", cmd)
}

// stopCPU ends the running CPU profile, if any.
func (p *profiler) stopCPU() error {
	if p.cpu == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := p.cpu.Close()
	p.cpu = nil
	return err
}

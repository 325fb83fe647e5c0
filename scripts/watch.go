package scripts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"
)

// watchDebounce groups the several events one save produces (editors
// write, rename and chmod) into one reload.
const watchDebounce = 150 * time.Millisecond

// Watch reloads the scripts whenever a .lua file in Dir or Dir/lib is
// written, created, removed or renamed, until ctx is done. A reload that
// fails is logged and the previous scripts keep running. It returns nil
// when ctx ends, or an error when the folder cannot be watched. (SIGHUP is
// the caller's to wire to Reload.)
func (e *Engine) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("scripts: watch: %w", err)
	}
	defer w.Close()
	dir := filepath.Clean(e.cfg.Dir)
	lib := filepath.Join(dir, libDir)
	if err := w.Add(dir); err != nil {
		// A folder that does not exist yet is waited for in its parent.
		if !e.cfg.MissingDirOK || !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("scripts: watch %s: %w", e.cfg.Dir, err)
		}
		if err := w.Add(filepath.Dir(dir)); err != nil {
			return fmt.Errorf("scripts: watch %s for %s: %w", filepath.Dir(dir), e.cfg.Dir, err)
		}
	}
	_ = w.Add(lib) // optional folder
	var timer *time.Timer
	var fire <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Name == lib && ev.Has(fsnotify.Create) {
				_ = w.Add(lib)
			}
			created := ev.Name == dir && ev.Has(fsnotify.Create)
			if created {
				// The folder appeared: watch it, and load what it holds.
				_ = w.Add(dir)
				_ = w.Add(lib)
			}
			if !created && !strings.HasSuffix(ev.Name, ".lua") {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(watchDebounce)
			} else {
				timer.Reset(watchDebounce)
			}
			fire = timer.C
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			e.log.Warn("watching scripts", zap.Error(err))
		case <-fire:
			fire = nil
			if err := e.Reload(); err != nil && err != ErrClosed {
				e.log.Warn("scripts changed but do not load; previous scripts keep running", zap.Error(err))
			}
		}
	}
}

package proxy

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// SeedAccounts puts the accounts of config.toml into st, so that the store
// the server reads (Options.Accounts) knows them: a missing account is
// created, and one that exists differently is brought in line with the
// file, which wins for the accounts it lists (a changed password is set; a
// changed username or game replaces the stored account). Each change is
// logged at info, never with a password. The built-in guest is not stored:
// its PID depends on the platform (NewStoreAccounts supplies it).
//
// The store keeps one account per PID and unique usernames, while the file
// may list a PID once for every game and once more for one game, and may
// reuse a username in another scope: such an entry cannot be stored, so it
// is logged as a warning and skipped (the every-game entry, and otherwise
// the first listed, is kept). Only store failures are errors.
func SeedAccounts(ctx context.Context, st store.Accounts, accounts []config.Account, log *zap.Logger) error {
	if log == nil {
		log = zap.NewNop()
	}
	seeded := map[uint64]config.Account{}
	// Every-game entries first: of a PID listed in both scopes they serve
	// the most games.
	for _, scoped := range []bool{false, true} {
		for _, c := range accounts {
			if c.Builtin || (c.Game != "") != scoped {
				continue
			}
			want := store.Account{PID: c.PID, Username: c.Username, Password: store.Password(c.Password), Game: c.Game}
			if want.Username == "" {
				want.Username = fmt.Sprint(c.PID)
			}
			fields := []zap.Field{zap.Uint64("pid", want.PID), zap.String("username", want.Username), zap.String("game", want.Game)}
			if first, dup := seeded[c.PID]; dup {
				log.Warn("account not stored: the store holds one account per PID, and config.toml lists this PID again",
					append(fields, zap.String("kept_game", first.Game))...)
				continue
			}
			if err := seedOne(ctx, st, want, log.With(fields...)); err != nil {
				return err
			}
			seeded[c.PID] = c
		}
	}
	return nil
}

// seedOne makes the stored account of want.PID equal to want. log carries
// the account's fields.
func seedOne(ctx context.Context, st store.Accounts, want store.Account, log *zap.Logger) error {
	have, err := st.Get(ctx, want.PID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if _, err := st.Create(ctx, want); err != nil {
			if errors.Is(err, store.ErrExists) {
				// The username belongs to another PID.
				log.Warn("account not stored: its username is taken by another account", zap.Error(err))
				return nil
			}
			return fmt.Errorf("seed account %d: %w", want.PID, err)
		}
		log.Info("account created from config.toml")
		return nil
	case err != nil:
		return fmt.Errorf("seed account %d: %w", want.PID, err)
	}
	if have.Username != want.Username || have.Game != want.Game {
		if err := replaceAccount(ctx, st, have, want, log); err != nil {
			return err
		}
		return nil
	}
	if have.Password.Reveal() != want.Password.Reveal() {
		if err := st.SetPassword(ctx, want.PID, want.Password); err != nil {
			return fmt.Errorf("seed account %d: %w", want.PID, err)
		}
		log.Info("account password updated from config.toml (the file wins for the accounts it lists)")
	}
	return nil
}

// replaceAccount swaps the stored account have for want (same PID, another
// username or game); the store cannot change those in place. When want's
// username is taken by another PID, have is put back.
func replaceAccount(ctx context.Context, st store.Accounts, have, want store.Account, log *zap.Logger) error {
	if err := st.Delete(ctx, have.PID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("seed account %d: %w", want.PID, err)
	}
	_, err := st.Create(ctx, want)
	if err == nil {
		log.Info("account replaced from config.toml (the file wins for the accounts it lists)",
			zap.String("stored_username", have.Username), zap.String("stored_game", have.Game))
		return nil
	}
	if !errors.Is(err, store.ErrExists) {
		return fmt.Errorf("seed account %d: %w", want.PID, err)
	}
	if _, rerr := st.Create(ctx, have); rerr != nil {
		return fmt.Errorf("seed account %d: restore after %v: %w", want.PID, err, rerr)
	}
	log.Warn("account not updated: its username is taken by another account; the stored one is kept",
		zap.String("stored_username", have.Username), zap.String("stored_game", have.Game), zap.Error(err))
	return nil
}

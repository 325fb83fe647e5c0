package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/stores"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// maxPasswordLen bounds a password read from stdin: NEX passwords are 16
// characters; anything near this is a wrong file piped in.
const maxPasswordLen = 256

// accountsCmd is what the accounts subcommands share: the configuration
// and the accounts store it names, opened by open and closed by close.
type accountsCmd struct {
	a     *app
	cfg   *config.Config
	st    store.Accounts
	close func() error
}

// open loads config.toml and opens its [store], the same data a running
// serve uses (SQLite in WAL mode lets both have it open).
func (c *accountsCmd) open(ctx context.Context) error {
	cfg, err := config.Load(c.a.v)
	if err != nil {
		return err
	}
	log := c.a.log
	if log.Core().Enabled(zap.InfoLevel) {
		// The store's "opened" lines are noise on a command's output.
		log = log.WithOptions(zap.IncreaseLevel(zap.WarnLevel))
	}
	st, err := stores.Open(ctx, cfg.Store, log)
	if err != nil {
		return fmt.Errorf("open stores: %w", err)
	}
	c.cfg, c.st, c.close = cfg, st.Accounts, st.Close
	return nil
}

// run opens the store, runs fn and closes the store, keeping fn's error
// first.
func (c *accountsCmd) run(cmd *cobra.Command, fn func(ctx context.Context) error) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if err := c.open(ctx); err != nil {
		return err
	}
	err := fn(ctx)
	if cerr := c.close(); cerr != nil && err == nil {
		err = fmt.Errorf("close stores: %w", cerr)
	}
	return err
}

// inFile reports whether config.toml lists an account with that PID: the
// file wins for it at the next serve start.
func (c *accountsCmd) inFile(pid uint64) bool {
	for _, a := range c.cfg.Accounts {
		if a.PID == pid && !a.Builtin {
			return true
		}
	}
	return false
}

func newAccountsCommand(a *app) *cobra.Command {
	c := &accountsCmd{a: a}
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "Add, list, change and remove the accounts in the store",
		Long: `Manage the NEX accounts in the store that config.toml's [store] names (the
same data a running serve uses; changes apply to its next login).
config.toml's [[accounts]] are copied into the store when serve starts and
win for the accounts they list. Passwords are read from stdin
(--password-stdin) or prompted for on a terminal, never taken as a flag.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newAccountsAddCommand(c), newAccountsListCommand(c), newAccountsPasswdCommand(c), newAccountsRemoveCommand(c))
	return cmd
}

func newAccountsAddCommand(c *accountsCmd) *cobra.Command {
	var pid uint64
	var username, game string
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "add --pid N [--username NAME] [--game G]",
		Short: "Create an account",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pid == 0 {
				return errors.New("--pid is required and must not be 0 (PID 0 means nobody)")
			}
			if username == "" {
				// Consoles log in with their PID in decimal.
				username = strconv.FormatUint(pid, 10)
			}
			return c.run(cmd, func(ctx context.Context) error {
				if err := c.checkGame(game, pid); err != nil {
					return err
				}
				// Refuse before asking for a password the command would not use.
				if err := c.checkFree(ctx, pid, username); err != nil {
					return err
				}
				pw, err := readNewPassword(cmd, fromStdin)
				if err != nil {
					return err
				}
				_, err = c.st.Create(ctx, store.Account{PID: pid, Username: username, Password: store.Password(pw), Game: game})
				if errors.Is(err, store.ErrExists) {
					// Taken between the check and now.
					if err := c.checkFree(ctx, pid, username); err != nil {
						return err
					}
				}
				if err != nil {
					return fmt.Errorf("add account %d: %w", pid, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "account %d added (username %q, %s)\n", pid, username, scopeOf(game))
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.Uint64Var(&pid, "pid", 0, "the account's PID (required)")
	f.StringVar(&username, "username", "", "login name (default: the PID in decimal, as consoles use)")
	f.StringVar(&game, "game", "", "limit the account to this game of config.toml (default: every game)")
	f.BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin")
	return cmd
}

// checkGame checks that game names a game of the configuration and that
// pid fits its PIDs.
func (c *accountsCmd) checkGame(game string, pid uint64) error {
	if game == "" {
		return nil
	}
	g, ok := c.cfg.Game(game)
	if !ok {
		return fmt.Errorf("no game is named %q in %s", game, c.a.v.ConfigFileUsed())
	}
	if g.Kerberos.PIDSize == 4 && pid > 1<<32-1 {
		return fmt.Errorf("PID %d does not fit the 4-byte PIDs of game %q", pid, game)
	}
	return nil
}

// checkFree fails when pid or username is taken.
func (c *accountsCmd) checkFree(ctx context.Context, pid uint64, username string) error {
	if _, err := c.st.Get(ctx, pid); err == nil {
		return fmt.Errorf("account %d exists", pid)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if other, err := c.st.GetByName(ctx, username); err == nil {
		return fmt.Errorf("username %q is taken by account %d", username, other.PID)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

func scopeOf(game string) string {
	if game == "" {
		return "every game"
	}
	return "game " + strconv.Quote(game)
}

// accountJSON is one account in `accounts list --json`: never the password.
type accountJSON struct {
	PID      uint64    `json:"pid"`
	Username string    `json:"username"`
	Game     string    `json:"game"`
	Created  time.Time `json:"created"`
}

func newAccountsListCommand(c *accountsCmd) *cobra.Command {
	var game string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--game G] [--json]",
		Short: "List the accounts (never their passwords)",
		Long: `List the accounts in the store, by PID: those of every game and, with
--game, only those that can log in on that game. GAME * means every game.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.run(cmd, func(ctx context.Context) error {
				if err := c.checkGame(game, 0); err != nil {
					return err
				}
				list := []accountJSON{}
				var after uint64
				for {
					page, err := c.st.List(ctx, after, 500)
					if err != nil {
						return fmt.Errorf("list accounts: %w", err)
					}
					for _, a := range page {
						if game == "" || a.Game == "" || a.Game == game {
							list = append(list, accountJSON{PID: a.PID, Username: a.Username, Game: a.Game, Created: a.Created})
						}
					}
					if len(page) < 500 {
						break
					}
					after = page[len(page)-1].PID
				}
				out := cmd.OutOrStdout()
				if asJSON {
					enc := json.NewEncoder(out)
					enc.SetIndent("", "  ")
					return enc.Encode(list)
				}
				tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "PID\tUSERNAME\tGAME\tCREATED")
				for _, a := range list {
					g := a.Game
					if g == "" {
						g = "*"
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", a.PID, a.Username, g, a.Created.UTC().Format(time.RFC3339))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&game, "game", "", "only the accounts that can log in on this game")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array (pid, username, game, created)")
	return cmd
}

// target is the account a passwd or remove names by --pid or --username.
type target struct {
	pid      uint64
	username string
}

func (t *target) flags(cmd *cobra.Command) {
	cmd.Flags().Uint64Var(&t.pid, "pid", 0, "the account's PID")
	cmd.Flags().StringVar(&t.username, "username", "", "the account's username (instead of --pid)")
}

// find returns the account t names, or "no account ..." errors.
func (t *target) find(ctx context.Context, st store.Accounts) (store.Account, error) {
	switch {
	case (t.pid == 0) == (t.username == ""):
		return store.Account{}, errors.New("name the account with either --pid or --username")
	case t.pid != 0:
		a, err := st.Get(ctx, t.pid)
		if errors.Is(err, store.ErrNotFound) {
			return a, fmt.Errorf("no account %d", t.pid)
		}
		return a, err
	default:
		a, err := st.GetByName(ctx, t.username)
		if errors.Is(err, store.ErrNotFound) {
			return a, fmt.Errorf("no account named %q", t.username)
		}
		return a, err
	}
}

func newAccountsPasswdCommand(c *accountsCmd) *cobra.Command {
	var t target
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "passwd --pid N | --username NAME",
		Short: "Change an account's password",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.run(cmd, func(ctx context.Context) error {
				acc, err := t.find(ctx, c.st)
				if err != nil {
					return err
				}
				pw, err := readNewPassword(cmd, fromStdin)
				if err != nil {
					return err
				}
				if err := c.st.SetPassword(ctx, acc.PID, store.Password(pw)); err != nil {
					if errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("no account %d", acc.PID)
					}
					return fmt.Errorf("set password of account %d: %w", acc.PID, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "password of account %d changed\n", acc.PID)
				if c.inFile(acc.PID) {
					fmt.Fprintf(cmd.ErrOrStderr(), "note: %s lists account %d: its password there wins when serve next starts\n", c.a.v.ConfigFileUsed(), acc.PID)
				}
				return nil
			})
		},
	}
	t.flags(cmd)
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin")
	return cmd
}

func newAccountsRemoveCommand(c *accountsCmd) *cobra.Command {
	var t target
	cmd := &cobra.Command{
		Use:   "remove --pid N | --username NAME",
		Short: "Remove an account",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.run(cmd, func(ctx context.Context) error {
				acc, err := t.find(ctx, c.st)
				if err != nil {
					return err
				}
				if err := c.st.Delete(ctx, acc.PID); err != nil {
					if errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("no account %d", acc.PID)
					}
					return fmt.Errorf("remove account %d: %w", acc.PID, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "account %d removed\n", acc.PID)
				if c.inFile(acc.PID) {
					fmt.Fprintf(cmd.ErrOrStderr(), "note: %s lists account %d: serve creates it again when it next starts\n", c.a.v.ConfigFileUsed(), acc.PID)
				}
				return nil
			})
		},
	}
	t.flags(cmd)
	return cmd
}

// readNewPassword reads the new password: the first line of stdin with
// --password-stdin, else typed twice without echo on a terminal.
func readNewPassword(cmd *cobra.Command, fromStdin bool) (string, error) {
	in := cmd.InOrStdin()
	if fromStdin {
		return readPasswordLine(in)
	}
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("no terminal to ask for the password on: pass it on stdin with --password-stdin")
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(cmd.ErrOrStderr(), prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	pw, err := ask("New password: ")
	if err != nil {
		return "", err
	}
	if err := checkPassword(pw); err != nil {
		return "", err
	}
	again, err := ask("Again: ")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", errors.New("the passwords differ")
	}
	return pw, nil
}

// readPasswordLine reads one line (without its line ending) of at most
// maxPasswordLen bytes.
func readPasswordLine(in io.Reader) (string, error) {
	r := bufio.NewReaderSize(io.LimitReader(in, maxPasswordLen+2), maxPasswordLen+2)
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	if err != nil && len(line) > maxPasswordLen {
		return "", fmt.Errorf("password longer than %d bytes", maxPasswordLen)
	}
	pw := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	return pw, checkPassword(pw)
}

// checkPassword refuses passwords no console could have typed.
func checkPassword(pw string) error {
	switch {
	case pw == "":
		return errors.New("empty password")
	case len(pw) > maxPasswordLen:
		return fmt.Errorf("password longer than %d bytes", maxPasswordLen)
	case strings.ContainsFunc(pw, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return errors.New("password has control characters")
	}
	return nil
}

// Package redis implements store.Stations (presence with TTL leases) and
// store.Bus (pub/sub) on Redis with go-redis, for several nexproxy
// instances sharing presence and fanning events out to each other.
//
// Unique ids are not served from Redis: their uniqueness across restarts
// must survive a Redis restart, which depends on Redis's persistence
// settings; they stay in a SQL backend.
package redis

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// defaultPoolSize is the connection pool of a URL that names none.
const defaultPoolSize = 128

// Client is a connection pool to one Redis server (or cluster) with a key
// prefix.
type Client struct {
	rdb    goredis.UniversalClient
	prefix string
}

// Open parses url (redis://, rediss:// or unix://), connects and pings.
// Every key and channel starts with prefix.
func Open(ctx context.Context, url, prefix string) (*Client, error) {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("store/redis: parse url: %w", withoutURL(err, url))
	}
	if !strings.Contains(url, "pool_size=") {
		// Every console's write is a round trip that waits for Redis; the
		// client's default (10 per CPU) makes concurrent consoles queue
		// for a connection long before Redis is busy. ?pool_size= in the
		// URL still decides.
		opt.PoolSize = max(defaultPoolSize, opt.PoolSize)
	}
	rdb := goredis.NewClient(opt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("store/redis: ping %s: %w", opt.Addr, err)
	}
	return &Client{rdb: rdb, prefix: prefix}, nil
}

// Close closes the pool.
func (c *Client) Close() error {
	if err := c.rdb.Close(); err != nil {
		return fmt.Errorf("store/redis: close: %w", err)
	}
	return nil
}

// withoutURL is a URL parse error without the URL's text, which may hold
// the password: net/url quotes it (escaped, so no text search finds it)
// and go-redis may repeat it.
func withoutURL(err error, url string) error {
	var ue *neturl.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return errors.New(strings.ReplaceAll(err.Error(), url, "<url>"))
}

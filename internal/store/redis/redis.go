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
	"fmt"
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
		// The parser's message may quote the URL, password and all.
		return nil, fmt.Errorf("store/redis: parse url: %s", strings.ReplaceAll(err.Error(), url, "<url>"))
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

package datastore

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strconv"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/rmc"
	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// The notifier is a small object per user that changes whenever the user
// gets a new-arrival notification, so that a console can poll one URL
// over HTTP instead of calling GetNewArrivedNotifications: the URL that
// GetNotificationUrl hands out. Its content is
// "<newest notification id>,<pid>,<unix time of the write>", the layout
// Pretendo's DataStore writes to its notifier objects. It lives where objects
// live (files or S3), so every instance serves the same one.

// notifierKey is where pid's notifier lives.
func notifierKey(game string, pid uint64) string {
	// Beside the game's objects, whose folders are numbers.
	return fmt.Sprintf("%s/notify/%020d.bin", gameDir(game), pid)
}

// touchNotifiers rewrites the notifiers of pids after new notifications
// for them. A failure loses only the HTTP poll's hint (the notifications
// themselves are stored), so it is logged, not returned.
func (s *server) touchNotifiers(ctx context.Context, pids []uint64) {
	for _, pid := range pids {
		if err := s.writeNotifier(ctx, pid); err != nil {
			s.log.Warn("datastore: write notifier", zap.Uint64("pid", pid), zap.Error(err))
		}
	}
}

func (s *server) writeNotifier(ctx context.Context, pid uint64) error {
	latest, err := s.base.LatestNotification(ctx, s.game, pid)
	if err != nil {
		return err
	}
	body := []byte(strconv.FormatUint(latest, 10) + "," + strconv.FormatUint(pid, 10) + "," +
		strconv.FormatInt(s.now().Unix(), 10))
	return s.objects.Put(ctx, notifierKey(s.game, pid), bytes.NewReader(body), int64(len(body)))
}

// GetNotificationUrl writes the caller's notifier (so that the URL
// resolves at once) and answers its download URL, split as Pretendo's
// DataStore splits it to match Nintendo's servers: url is the scheme and
// host with a slash, key the path, query the query string with its '?'.
// previous_url is not needed: the URL of a user's notifier only changes
// with its signature.
func (s *server) GetNotificationUrl(ctx context.Context, c *rpc.Call, req *ds.GetNotificationUrlRequest) (*ds.GetNotificationUrlResponse, error) {
	pid := c.Session.PID()
	if err := s.writeNotifier(ctx, pid); err != nil {
		return nil, rpc.Failf(rmc.ResultDataStoreSystemFileError, err)
	}
	raw, err := s.downloadURL(ctx, notifierKey(s.game, pid))
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, rpc.Failf(rmc.ResultDataStoreSystemFileError, err)
	}
	return &ds.GetNotificationUrlResponse{Info: ds.DataStoreReqGetNotificationUrlInfo{
		URL:        u.Scheme + "://" + u.Host + "/",
		Key:        u.EscapedPath(),
		Query:      "?" + u.RawQuery,
		RootCACert: []byte{},
	}}, nil
}

package matchmaking

import (
	"context"
	"unicode/utf8"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	"github.com/nexproxy/nexproxy/rmc/protocols/notification"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Notification data (services.md §4): a console publishes one current
// record per game-specific category (101-108) with UpdateNotificationData;
// it is pushed at once to the sender's connected friends and stays active
// until the sender disconnects; friends read the active records with
// Get(lst)FriendNotificationData.

var (
	_ matchmakeextension.UpdateNotificationDataServer       = (*server)(nil)
	_ matchmakeextension.GetFriendNotificationDataServer    = (*server)(nil)
	_ matchmakeextension.GetlstFriendNotificationDataServer = (*server)(nil)
)

const (
	// The game-specific notification categories.
	minNoticeCategory = 101
	maxNoticeCategory = 108
	// maxNoticeChars bounds the text in characters (Kid Icarus sends more
	// than 256 UTF-8 bytes, services.md §4).
	maxNoticeChars = 256
	// maxNoticeTypes bounds GetlstFriendNotificationData's list.
	maxNoticeTypes = maxNoticeCategory - minNoticeCategory + 1
)

// noticeType maps a category to the stored event type;
// Core::InvalidArgument outside 101-108.
func noticeType(category int64) (uint32, error) {
	if category < minNoticeCategory || category > maxNoticeCategory {
		return 0, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	return uint32(category) * 1000, nil
}

// UpdateNotificationData stores the caller's record of a category and
// pushes it to its connected friends.
func (s *server) UpdateNotificationData(ctx context.Context, c *rpc.Call, req *matchmakeextension.UpdateNotificationDataRequest) (*matchmakeextension.UpdateNotificationDataResponse, error) {
	typ, err := noticeType(int64(req.Type))
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(req.Param3) > maxNoticeChars || len(req.Param3) > store.MaxNoticeText {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	pid := c.Session.PID()
	s.track(c).published()
	n := store.Notice{PID: pid, Type: typ, Param1: req.Param1, Param2: req.Param2, Text: req.Param3}
	if err := s.gs.PutNotice(ctx, s.game(), n); err != nil {
		return nil, s.failed(c, "update notification data", err)
	}
	friends, err := s.env.Host.FriendsOf(ctx, s.game(), pid)
	if err != nil {
		return nil, s.failed(c, "friend list", err)
	}
	s.notify(ctx, friends, noticeEvent(n))
	return &matchmakeextension.UpdateNotificationDataResponse{}, nil
}

func noticeEvent(n store.Notice) notification.NotificationEvent {
	return notification.NotificationEvent{SourcePID: n.PID, Type: n.Type, Param1: n.Param1, Param2: n.Param2, Text: n.Text}
}

// friendNotices returns the active records of the caller's friends with
// the categories.
func (s *server) friendNotices(ctx context.Context, c *rpc.Call, categories []int64) ([]notification.NotificationEvent, error) {
	types := make([]uint32, 0, len(categories))
	for _, cat := range categories {
		t, err := noticeType(cat)
		if err != nil {
			return nil, err
		}
		types = append(types, t)
	}
	friends, err := s.env.Host.FriendsOf(ctx, s.game(), c.Session.PID())
	if err != nil {
		return nil, s.failed(c, "friend list", err)
	}
	ns, err := s.gs.Notices(ctx, s.game(), friends, types)
	if err != nil {
		return nil, s.failed(c, "notification data", err)
	}
	out := make([]notification.NotificationEvent, 0, len(ns))
	for _, n := range ns {
		out = append(out, noticeEvent(n))
	}
	return out, nil
}

// GetFriendNotificationData returns the friends' active records of one
// category.
func (s *server) GetFriendNotificationData(ctx context.Context, c *rpc.Call, req *matchmakeextension.GetFriendNotificationDataRequest) (*matchmakeextension.GetFriendNotificationDataResponse, error) {
	out, err := s.friendNotices(ctx, c, []int64{int64(req.Type)})
	if err != nil {
		return nil, err
	}
	return &matchmakeextension.GetFriendNotificationDataResponse{Notifications: out}, nil
}

// GetlstFriendNotificationData returns the friends' active records of
// the categories.
func (s *server) GetlstFriendNotificationData(ctx context.Context, c *rpc.Call, req *matchmakeextension.GetlstFriendNotificationDataRequest) (*matchmakeextension.GetlstFriendNotificationDataResponse, error) {
	if len(req.Types) > maxNoticeTypes {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	cats := make([]int64, len(req.Types))
	for i, t := range req.Types {
		cats[i] = int64(t)
	}
	out, err := s.friendNotices(ctx, c, cats)
	if err != nil {
		return nil, err
	}
	return &matchmakeextension.GetlstFriendNotificationDataResponse{Notifications: out}, nil
}

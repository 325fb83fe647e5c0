package sessionlog

import (
	"encoding/json"
	"time"
)

// sampleStart is the fixed clock of the sample session.
var sampleStart = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return sampleStart.Add(time.Duration(ms) * time.Millisecond) }

// sampleRecords is a small proxied Wii U session touching every event
// type and every way a call can end; testdata/session.jsonl is what the
// Writer makes of it, testdata/session.txt its transcript.
func sampleRecords() []Record {
	return []Record{
		{Type: TypeOpen, Time: at(0), Game: "wiiu", Conn: "c17", Side: SideConsole, Local: "0.0.0.0:60000", Remote: "192.168.1.20:52000", PRUDP: "v1 minor 4", Server: "auth"},
		{Type: TypeOpen, Time: at(2), Game: "wiiu", Conn: "u17", Side: SideUpstream, Local: "10.0.0.2:41000", Remote: "10.0.0.5:59900", PRUDP: "v1 minor 4", Server: "auth"},
		{Type: TypeCall, Time: at(10), Conn: "c17", Side: SideConsole, Dir: DirConsole,
			Protocol: "Authentication", ProtocolID: 10, Method: "Login", MethodID: 1, CallID: 1, UpstreamCallID: 1,
			Params:   json.RawMessage(`{"username":"1234567"}`),
			Result:   json.RawMessage(`{"result":"0x00010001","pid":1234567,"ticket":"00112233445566778899aabbccddeeff","connection_data":{"station":"prudps:/address=192.168.1.2;port=60001;PID=2;CID=1;type=2;sid=1;stream=10"},"server_name":"branch:origin/feature/45925_FixAutoReconnect build:3_10_11_2006_0"}`),
			Duration: Duration(8500 * time.Microsecond), Handler: HandlerUpstream},
		{Type: TypeLogin, Time: at(19), Game: "wiiu", Conn: "c17", PID: 1234567, Username: "1234567", Mode: ModeIntercepted},
		{Type: TypeScript, Time: at(20), Script: "hooks/ranking.lua", Level: "info", Text: "score capped at 99999"},
		{Type: TypeCall, Time: at(30), Conn: "c17", Side: SideConsole, Dir: DirConsole,
			Protocol: "Ranking", ProtocolID: 112, Method: "UploadScore", MethodID: 1, CallID: 5,
			Params: json.RawMessage(`{"score_data":{"category":1,"score":99999,"groups":[0,0],"param":0},"unique_id":0}`),
			Error:  0x80030064, ErrorName: "Core::AccessDenied", Duration: Duration(200 * time.Microsecond), Handler: HandlerHook},
		{Type: TypeCall, Time: at(40), Conn: "c17", Side: SideConsole, Dir: DirConsole,
			ProtocolID: 0x7f, MethodID: 3, CallID: 6, ParamsRaw: "0a0b0c0d", Status: "timeout"},
		{Type: TypeCall, Time: at(50), Conn: "u17", Side: SideUpstream, Dir: DirServer,
			Protocol: "NotificationEvents", ProtocolID: 14, Method: "ProcessNotificationEvent", MethodID: 1, CallID: 9,
			Params:   json.RawMessage(`{"event":{"pid_source":2,"type":3001,"param1":0,"param2":0,"str_param":""}}`),
			Duration: Duration(3 * time.Millisecond), Handler: HandlerConsole},
		{Type: TypeCall, Time: at(60), Conn: "c17", Side: SideConsole, Dir: DirConsole,
			Protocol: "Authentication", ProtocolID: 10, Method: "RequestTicket", MethodID: 3, CallID: 7,
			ParamsRaw: "ffffffffffffffff", ResultRaw: "00010001aabbccdd", Handler: HandlerBuiltin, Duration: Duration(time.Millisecond)},
		{Type: TypeNote, Time: at(24*3600*1000 + 5), Text: "still connected after midnight"},
		{Type: TypeClose, Time: at(24*3600*1000 + 70), Conn: "c17", Side: SideConsole, Reason: "console disconnected"},
	}
}

// Package replay serves a game from recorded session logs: every console
// call is matched on its protocol, method and parameters against the calls
// of the logs, and answered with the response recorded for it.
//
// Call ids and times play no part in matching, and the parameters a
// configuration names (Rule) are left out of it. A request recorded several
// times is answered with its recorded responses in order, the last one
// again once they are used up; a call the logs do not hold is answered
// with a configured error and logged. Responses are rebuilt from the
// logs' value text (schema.Method.FromJSON) and encoded for the new
// connection's settings, with the new call's id.
//
// The link answers every protocol it is given; the server puts the
// built-in authentication and secure services before it (Config.Local),
// because the tickets and station URLs of a recording belong to the
// recorded connections and cannot serve a new login.
package replay

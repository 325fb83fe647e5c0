package prudp

import "time"

// maxRTO bounds the exponential backoff so that a long outage never stalls a
// connection for minutes before the resend limit or ping timeout fires.
const maxRTO = 30 * time.Second

// rtoEstimator keeps the smoothed round trip (RFC 6298) of one connection.
// Samples come only from packets acknowledged on their first transmission
// (Karn's rule), so a resend never skews the estimate.
type rtoEstimator struct {
	srtt, rttvar time.Duration
	rto          time.Duration
	floor        time.Duration
	hasSample    bool
}

func newRTOEstimator(initial, floor time.Duration) rtoEstimator {
	if initial < floor {
		initial = floor
	}
	return rtoEstimator{rto: initial, floor: floor}
}

// sample folds one measured round trip into the estimate.
func (e *rtoEstimator) sample(rtt time.Duration) {
	if rtt < 0 {
		return
	}
	if !e.hasSample {
		e.srtt = rtt
		e.rttvar = rtt / 2
		e.hasSample = true
	} else {
		d := e.srtt - rtt
		if d < 0 {
			d = -d
		}
		e.rttvar = (3*e.rttvar + d) / 4
		e.srtt = (7*e.srtt + rtt) / 8
	}
	e.rto = max(e.srtt+4*e.rttvar, e.floor)
	e.rto = min(e.rto, maxRTO)
}

// timeout returns the retransmission timeout for a packet already sent
// `sends` times: the base value doubled for every earlier resend.
func (e *rtoEstimator) timeout(sends int) time.Duration {
	d := e.rto
	for i := 1; i < sends && d < maxRTO; i++ {
		d *= 2
	}
	return min(d, maxRTO)
}

// smoothed returns the smoothed round trip, zero before the first sample.
func (e *rtoEstimator) smoothed() time.Duration { return e.srtt }

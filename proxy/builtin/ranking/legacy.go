package ranking

import (
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// installLegacy serves the NEX < 3.0 method table (services.md §5.7).
func (s *Server) installLegacy(m *rpc.Mux) error {
	return nil
}

package ranking

import (
	"fmt"
	"time"

	"github.com/nexproxy/nexproxy/proxy/config"
)

// Orders a category can have ([games.ranking] categories[].order).
const (
	OrderUpload = "upload" // the first upload's order byte (legacy: the first read's order_by; default)
	OrderAsc    = "asc"    // lower scores are better
	OrderDesc   = "desc"   // higher scores are better
)

// Layouts of protocol 112 ([games.ranking] layout).
const (
	LayoutAuto    = "auto"    // legacy below NEX 3.0 (nex_version < 30000), current otherwise
	LayoutCurrent = "current" // the NEX >= 3.0 methods
	LayoutLegacy  = "legacy"  // the NEX 2 methods (services.md §5.7); not served to NEX 1 titles
)

// VariantMK8 is Mario Kart 8's method set ([games.ranking] variant).
const VariantMK8 = "mk8"

// Empty-result answers ([games.ranking] empty_result).
const (
	EmptyNotFound = "not_found" // Ranking::NotFound, as Pretendo answers
	EmptyList     = "empty"     // an empty list with the real total
)

// Config is the [games.ranking] table.
type Config struct {
	// Layout picks the method table: "auto" (default), "current" or
	// "legacy".
	Layout string `mapstructure:"layout"`
	// Variant selects a game's method set on the current layout: ""
	// (standard) or "mk8" (Mario Kart 8's competition methods at 14-16
	// instead of GetCachedTopXRanking(s)). Empty follows the game's own
	// variants (variants = ["mk8"]).
	Variant string `mapstructure:"variant"`
	// Order of the categories not listed in Categories: "upload"
	// (default: the order byte of the category's first upload; on the
	// legacy layout, whose uploads have none, the order_by of the
	// category's first read), "asc" or "desc".
	Order string `mapstructure:"order"`
	// CommonDataMax bounds UploadCommonData (bytes; default 512, the
	// largest size a reference server accepts: 0x200).
	CommonDataMax int `mapstructure:"common_data_max"`
	// CacheLifetime is how long GetCachedTopXRanking(s) keep returning one
	// snapshot (default 5m).
	CacheLifetime time.Duration `mapstructure:"cache_lifetime"`
	// EmptyResult: "not_found" (default) answers a GetRanking without
	// entries with Ranking::NotFound, "empty" with an empty list.
	EmptyResult string `mapstructure:"empty_result"`
	// TopLimit is how many top entries a page from an offset serves
	// (GetRanking modes 0 and 2, cached top lists, legacy GetScore,
	// competition scores): offset + count is cut there (default 1000, as
	// the real server is said to serve only the top 1000).
	TopLimit uint32 `mapstructure:"top_limit"`
	// Categories configure single categories.
	Categories []Category `mapstructure:"categories"`
	// Seed puts synthetic entries into categories at start (tests and
	// demos).
	Seed []Seed `mapstructure:"seed"`
}

// Category configures one ranking category.
type Category struct {
	// ID is the category number.
	ID uint32 `mapstructure:"id"`
	// Order: "upload" (default), "asc" or "desc".
	Order string `mapstructure:"order"`
	// ScoreMin and ScoreMax bound the scores UploadScore accepts
	// (Ranking::InvalidScore outside); ScoreMax 0 means no bound.
	ScoreMin uint32 `mapstructure:"score_min"`
	ScoreMax uint32 `mapstructure:"score_max"`
	// CacheLifetime overrides the game's for this category.
	CacheLifetime time.Duration `mapstructure:"cache_lifetime"`
}

// Seed makes Count synthetic entries in Category: entry i has PID
// PID+i, unique id UniqueID+i, score Score+i*ScoreStep, groups [i%4, 1],
// param i and, when CommonDataSize > 0, common data of that size whose
// byte j is (i*7 + j) & 0xFF (the interop harness's pattern).
type Seed struct {
	Category       uint32 `mapstructure:"category"`
	Count          int    `mapstructure:"count"`
	PID            uint64 `mapstructure:"pid"`
	UniqueID       uint64 `mapstructure:"unique_id"`
	Score          uint32 `mapstructure:"score"`
	ScoreStep      uint32 `mapstructure:"score_step"`
	CommonDataSize int    `mapstructure:"common_data_size"`
}

// maxCommonData bounds common_data_max: a blob is held in memory and sent
// with every row of a ranking.
const maxCommonData = 1 << 20

// DefaultConfig returns the defaults of [games.ranking].
func DefaultConfig() *Config {
	return &Config{
		Layout: LayoutAuto, Order: OrderUpload, CommonDataMax: 0x200, CacheLifetime: 5 * time.Minute,
		EmptyResult: EmptyNotFound, TopLimit: 1000,
	}
}

func validOrder(o string) bool { return o == OrderUpload || o == OrderAsc || o == OrderDesc || o == "" }

// Validate implements config.Validator.
func (c *Config) Validate(p *config.Problems) {
	switch c.Layout {
	case LayoutAuto, LayoutCurrent, LayoutLegacy:
	default:
		p.Add("layout", "must be auto, current or legacy, got %q", c.Layout)
	}
	if c.Variant != "" && c.Variant != VariantMK8 {
		p.Add("variant", "must be empty or %q, got %q", VariantMK8, c.Variant)
	}
	if !validOrder(c.Order) {
		p.Add("order", "must be upload, asc or desc, got %q", c.Order)
	}
	if c.CommonDataMax < 0 || c.CommonDataMax > maxCommonData {
		p.Add("common_data_max", "must be between 0 and %d, got %d", maxCommonData, c.CommonDataMax)
	}
	if c.CacheLifetime < 0 {
		p.Add("cache_lifetime", "must not be negative, got %v", c.CacheLifetime)
	}
	if c.TopLimit == 0 {
		p.Add("top_limit", "must be positive")
	}
	switch c.EmptyResult {
	case EmptyNotFound, EmptyList:
	default:
		p.Add("empty_result", "must be not_found or empty, got %q", c.EmptyResult)
	}
	seen := map[uint32]bool{}
	for i, cat := range c.Categories {
		key := fmt.Sprintf("categories[%d]", i)
		if seen[cat.ID] {
			p.Add(key+".id", "category %d is configured twice", cat.ID)
		}
		seen[cat.ID] = true
		if !validOrder(cat.Order) {
			p.Add(key+".order", "must be upload, asc or desc, got %q", cat.Order)
		}
		if cat.ScoreMax != 0 && cat.ScoreMax < cat.ScoreMin {
			p.Add(key+".score_max", "%d is below score_min %d", cat.ScoreMax, cat.ScoreMin)
		}
		if cat.CacheLifetime < 0 {
			p.Add(key+".cache_lifetime", "must not be negative, got %v", cat.CacheLifetime)
		}
	}
	for i, s := range c.Seed {
		key := fmt.Sprintf("seed[%d]", i)
		if s.Count < 0 || s.Count > 100000 {
			p.Add(key+".count", "must be between 0 and 100000, got %d", s.Count)
		}
		if s.PID == 0 {
			p.Add(key+".pid", "must not be 0")
		}
		if s.CommonDataSize < 0 || s.CommonDataSize > maxCommonData {
			p.Add(key+".common_data_size", "must be between 0 and %d, got %d", maxCommonData, s.CommonDataSize)
		}
	}
}

// category returns the configuration of id (zero value when absent).
func (c *Config) category(id uint32) (Category, bool) {
	for _, cat := range c.Categories {
		if cat.ID == id {
			return cat, true
		}
	}
	return Category{}, false
}

package titles

// Where the values come from. The NintendoClients wiki pages are read
// from mirrors of the wiki's git repository, pinned to the commit read;
// kinnay.github.io renders its data files at
// https://kinnay.github.io/view.html?page=nexwiiu and ?page=switch.
const (
	// Game server ids and access keys of Wii U titles (ids in decimal).
	srcWiiUServers = "https://github.com/kinnay/kinnay.github.io/blob/635186bc2d6ac924f5f074c594e699a8f323a1cf/data/nexwiiu.json"
	// NEX library versions and modules of Wii U titles (and Cave Story+).
	srcLibraryVersions = "https://github.com/amicuchu/NintendoClientsWiki/blob/054ec64341a2a023fb3a7d9a4aa5b0eca06e7072/Network-Library-Versions.md"
	// Game server ids and access keys of 3DS and Switch titles (the
	// NintendoClients wiki's Game Server List).
	srcServerList = "https://github.com/PMArkive/NintendoClients_wiki/blob/4325408b7bd9ca61de02d8a17a85f26ec52be811/Game-Server-List.md"
	// NEX library versions and modules of Switch titles, per title version
	// (the table takes the newest version listed).
	srcSwitchLibraries = "https://github.com/kinnay/kinnay.github.io/blob/635186bc2d6ac924f5f074c594e699a8f323a1cf/data/switch.json"
	// Mario Kart 8's own DataStore, Ranking and MatchmakeExtension methods.
	srcMK8Protocol = "https://github.com/kinnay/NintendoClients/wiki/Mario-Kart-8-Protocol"
	// nex-go 1.0.41, which Pretendo's first 3DS servers ran: a server
	// decodes every datagram in the one PRUDP format it is configured for
	// (SetPRUDPVersion), so the consoles it served speak that format.
	srcNexGoOneFormat = "https://github.com/PretendoNetwork/nex-go/blob/9d6e91cbde41c1eba5411cc208534971dd1b2603/server.go"
)

// table lists the known titles. A title joins it only when public
// sources give both its access key and its NEX version; PRUDP settings
// are the platform preset's unless a source says otherwise.
var table = []Title{
	// --- 3DS: ids and keys from the Game Server List; NEX versions (and
	// PRUDP settings where they differ) from Pretendo's servers. ---

	{Name: "Mario Kart 7", Short: "mk7", Platform: "3ds", ServerID: 0x0001DB00, AccessKey: "6181dff1", NEX: "2.4.3",
		Protocols: []string{"matchmaking", "ranking", "utility"},
		Sources:   []string{srcServerList, "https://github.com/PretendoNetwork/mario-kart-7/blob/9e5aedf780cbf25b6b3091a8c173253ada701ab3/nex/authentication.go"}},
	// Pretendo ran both servers over PRUDPv1, minor version 3, with a
	// nex-go that decoded only the configured format (srcNexGoOneFormat):
	// its consoles speak v1.
	{Name: "Pokémon X and Y", Short: "pokemon-xy", Platform: "3ds", ServerID: 0x00055D01, AccessKey: "876138df", NEX: "3.3.0",
		PRUDP:     PRUDP{Variant: "v1", MinorVersion: 3},
		Protocols: []string{"matchmaking", "ranking"},
		Sources: []string{srcServerList, "https://github.com/PretendoNetwork/pokemon-gen6/blob/5a02c5dcc7b8d42182c47823e13c2e2319c4436f/nex/authentication.go",
			"https://github.com/PretendoNetwork/pokemon-gen6/blob/c3880475c23978c983a4b484bf30796ad26b83c6/nex/authentication.go",
			"https://github.com/PretendoNetwork/pokemon-gen6/blob/c3880475c23978c983a4b484bf30796ad26b83c6/nex/secure.go", srcNexGoOneFormat}},
	// Pretendo runs it over PRUDPv1, minor version 3.
	{Name: "Nintendo Badge Arcade", Short: "badge-arcade", Platform: "3ds", ServerID: 0x00134600, AccessKey: "82d5962d", NEX: "3.7.16",
		PRUDP:     PRUDP{Variant: "v1", MinorVersion: 3},
		Protocols: []string{"datastore"},
		Sources:   []string{srcServerList, "https://github.com/PretendoNetwork/nintendo-badge-arcade-secure/blob/435760d07df5930119df329dfb084d42a9ea17ba/nex/server.go"}},
	// Pretendo ran it over PRUDPv1 (srcNexGoOneFormat: its consoles speak
	// v1), minor version 2 on the authentication server and 3 on the
	// secure server; the table offers 3, the negotiation takes the lower.
	{Name: "The Legend of Zelda: Tri Force Heroes", Short: "tfh", Platform: "3ds", ServerID: 0x00176E00, AccessKey: "c1621b84", NEX: "3.9.0",
		PRUDP:     PRUDP{Variant: "v1", MinorVersion: 3},
		Protocols: []string{"matchmaking", "ranking"},
		Sources: []string{srcServerList, "https://github.com/PretendoNetwork/tri-force-heroes/blob/564c547ecdca00fa7116e9b315d64a737126c4fd/nex/authentication.go",
			"https://github.com/PretendoNetwork/tri-force-heroes/blob/17c0cb7f151190834f8613ce22e49533eb31adc3/nex/authentication.go",
			"https://github.com/PretendoNetwork/tri-force-heroes/blob/17c0cb7f151190834f8613ce22e49533eb31adc3/nex/secure.go", srcNexGoOneFormat}},

	// --- Wii U: ids and keys from kinnay's NEX Wii U list, NEX versions
	// and modules from the Network Library Versions page. ---
	{Name: "Sonic & All-Stars Racing Transformed", Short: "sonic-transformed", Platform: "wiiu", ServerID: 0x10111F00, AccessKey: "b26a3421", NEX: "3.0.1",
		Protocols: []string{"matchmaking", "ranking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Runner2: Future Legend of Rhythm Alien", Short: "runner2", Platform: "wiiu", ServerID: 0x1011AF00, AccessKey: "1084452a", NEX: "3.0.1",
		Protocols: []string{"ranking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Trine 2: Director's Cut", Short: "trine2", Platform: "wiiu", ServerID: 0x10112200, AccessKey: "f9c35adc", NEX: "3.0.1",
		Protocols: []string{"matchmaking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Tekken Tag Tournament 2 Wii U Edition", Short: "tekken-tag2", Platform: "wiiu", ServerID: 0x10100600, AccessKey: "0f037f64", NEX: "3.0.1",
		Protocols: []string{"datastore", "ranking", "matchmaking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Fist of the North Star: Ken's Rage 2", Short: "kens-rage2", Platform: "wiiu", ServerID: 0x10116600, AccessKey: "9994e29c", NEX: "3.0.1",
		Protocols: []string{"datastore", "ranking", "utility", "matchmaking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Injustice: Gods Among Us", Short: "injustice", Platform: "wiiu", ServerID: 0x10111700, AccessKey: "65e9f4d6", NEX: "3.2.1",
		Protocols: []string{"matchmaking", "datastore", "ranking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "DuckTales: Remastered", Short: "ducktales", Platform: "wiiu", ServerID: 0x10129000, AccessKey: "1294a96c", NEX: "3.3.0",
		Protocols: []string{"ranking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Sonic Lost World", Short: "sonic-lost-world", Platform: "wiiu", ServerID: 0x1012B100, AccessKey: "69a9fc95", NEX: "3.3.0",
		Protocols: []string{"ranking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Donkey Kong Country: Tropical Freeze", Short: "dkctf", Platform: "wiiu", ServerID: 0x10144800, AccessKey: "7fcf384a", NEX: "3.4.0",
		Protocols: []string{"datastore", "ranking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Mario & Sonic at the Sochi 2014 Olympic Winter Games", Short: "mario-sonic-sochi", Platform: "wiiu", ServerID: 0x10106900, AccessKey: "585214a5", NEX: "3.4.0",
		Protocols: []string{"datastore", "ranking", "matchmaking", "messaging"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Romance of the Three Kingdoms 12", Short: "rtk12", Platform: "wiiu", ServerID: 0x10111C00, AccessKey: "bfede098", NEX: "3.4.0",
		Protocols: []string{"datastore", "ranking", "utility", "matchmaking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Puyo Puyo Tetris", Short: "puyo-tetris", Platform: "wiiu", ServerID: 0x1014D900, AccessKey: "4eb0ca36", NEX: "3.5.2",
		Protocols: []string{"datastore", "ranking", "matchmaking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	// srcWiiUServers, srcLibraryVersions, srcMK8Protocol
	{Name: "Mario Kart 8", Short: "mk8", Platform: "wiiu", ServerID: 0x1010EB00, AccessKey: "25dbf96a", NEX: "3.5.4",
		Protocols: []string{"matchmaking", "datastore", "ranking"},
		Variants:  []string{"mk8"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions, srcMK8Protocol}},
	{Name: "Xenoblade Chronicles X", Short: "xcx", Platform: "wiiu", ServerID: 0x10116100, AccessKey: "59d7be84", NEX: "3.5.5",
		Protocols: []string{"matchmaking", "ranking", "datastore"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "OlliOlli", Short: "olliolli", Platform: "wiiu", ServerID: 0x101A5E00, AccessKey: "60e5df12", NEX: "3.6.1",
		Protocols: []string{"ranking", "datastore"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Super Smash Bros. for Wii U", Short: "ssb4", Platform: "wiiu", ServerID: 0x10110E00, AccessKey: "2869ba38", NEX: "3.6.27",
		Protocols: []string{"datastore", "ranking", "utility", "matchmaking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Hyrule Warriors", Short: "hyrule-warriors", Platform: "wiiu", ServerID: 0x1017CD00, AccessKey: "7fcc1f7c", NEX: "3.8.0",
		Protocols: []string{"datastore", "ranking", "utility", "matchmaking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Legend of Kay Anniversary", Short: "legend-of-kay", Platform: "wiiu", ServerID: 0x10193300, AccessKey: "478232f3", NEX: "3.8.3",
		Protocols: []string{"ranking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Nova-111", Short: "nova111", Platform: "wiiu", ServerID: 0x101C0A00, AccessKey: "bafe9856", NEX: "3.8.3",
		Protocols: []string{"ranking", "datastore"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Super Mario Maker", Short: "smm", Platform: "wiiu", ServerID: 0x1018DB00, AccessKey: "9f2b4678", NEX: "3.8.10",
		Protocols: []string{"matchmaking", "datastore"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Mario & Sonic at the Rio 2016 Olympic Games", Short: "mario-sonic-rio", Platform: "wiiu", ServerID: 0x10190300, AccessKey: "63fecb0f", NEX: "3.9.1",
		Protocols: []string{"datastore", "ranking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Minecraft: Wii U Edition", Short: "minecraft-wiiu", Platform: "wiiu", ServerID: 0x101D9D00, AccessKey: "f1b61c8e", NEX: "3.9.1",
		Protocols: []string{"datastore", "matchmaking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Mighty No. 9", Short: "mighty9", Platform: "wiiu", ServerID: 0x101C5A00, AccessKey: "bb980c2e", NEX: "3.9.1",
		Protocols: []string{"matchmaking", "ranking", "datastore", "messaging"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Axiom Verge", Short: "axiom-verge", Platform: "wiiu", ServerID: 0x101F7900, AccessKey: "24e0a63b", NEX: "3.10.0",
		Protocols: nil,
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},
	{Name: "Pokkén Tournament", Short: "pokken", Platform: "wiiu", ServerID: 0x101C5800, AccessKey: "6ef3adf1", NEX: "3.10.0",
		Protocols: []string{"datastore", "ranking", "matchmaking"},
		Sources:   []string{srcWiiUServers, srcLibraryVersions}},

	// --- Switch: ids and keys from the Game Server List, NEX versions and
	// modules from kinnay's Switch title list (newest title version). ---
	{Name: "Luigi's Mansion 3", Short: "lm3", Platform: "switch", ServerID: 0x20DE2100, AccessKey: "aab95246", NEX: "4.6.2",
		Protocols: []string{"matchmaking"},
		Sources:   []string{srcServerList, srcSwitchLibraries}},
	{Name: "Super Mario Maker 2", Short: "smm2", Platform: "switch", ServerID: 0x22306D00, AccessKey: "fdf6617f", NEX: "4.6.25",
		Protocols: []string{"datastore", "matchmaking", "utility"},
		Sources:   []string{srcServerList, srcSwitchLibraries}},
	{Name: "Super Mario Bros. 35", Short: "smb35", Platform: "switch", ServerID: 0x21F12900, AccessKey: "0a69c592", NEX: "4.6.5",
		Protocols: []string{"ranking2", "matchmaking", "utility"},
		Sources:   []string{srcServerList, srcSwitchLibraries}},
	{Name: "Super Smash Bros. Ultimate", Short: "ssbu", Platform: "switch", ServerID: 0x23380901, AccessKey: "9587602b", NEX: "4.6.13",
		Protocols: []string{"datastore", "matchmaking", "utility"},
		Sources:   []string{srcServerList, srcSwitchLibraries}},
	{Name: "Mario Tennis Aces", Short: "mta", Platform: "switch", ServerID: 0x23932A00, AccessKey: "29f267b9", NEX: "4.3.5",
		Protocols: []string{"ranking", "datastore", "matchmaking", "utility"},
		Sources:   []string{srcServerList, srcSwitchLibraries}},
	{Name: "Nintendo Entertainment System - Nintendo Switch Online", Short: "nes-online", Platform: "switch", ServerID: 0x240B0700, AccessKey: "01677bca", NEX: "4.6.6",
		Protocols: []string{"matchmaking"},
		Sources:   []string{srcServerList, srcSwitchLibraries}},
	{Name: "LEGO Worlds", Short: "lego-worlds", Platform: "switch", ServerID: 0x24FD5300, AccessKey: "4d3b08ce", NEX: "4.5.0",
		Protocols: []string{"matchmaking"},
		Sources:   []string{srcServerList, srcSwitchLibraries}},
	{Name: "Pokémon: Let's Go, Pikachu! and Let's Go, Eevee!", Short: "pokemon-lgpe", Platform: "switch", ServerID: 0x250F8F00, AccessKey: "38ee5943", NEX: "4.5.0",
		Protocols: []string{"matchmaking", "utility"},
		Sources:   []string{srcServerList, srcSwitchLibraries}},
	{Name: "Super Mario Odyssey", Short: "smo", Platform: "switch", ServerID: 0x255BA201, AccessKey: "afef0ecf", NEX: "4.6.2",
		Protocols: []string{"ranking", "datastore", "utility"},
		Sources:   []string{srcServerList, srcSwitchLibraries}},
	{Name: "ARMS", Short: "arms", Platform: "switch", ServerID: 0x25C08801, AccessKey: "b6b34c51", NEX: "4.3.5",
		Protocols: []string{"datastore", "matchmaking", "utility"},
		Sources:   []string{srcServerList, srcSwitchLibraries}},
	{Name: "Mario Kart 8 Deluxe", Short: "mk8d", Platform: "switch", ServerID: 0x2B309E01, AccessKey: "09c1c475", NEX: "4.3.3",
		Protocols: []string{"ranking", "datastore", "matchmaking", "utility"},
		Sources:   []string{srcServerList, srcSwitchLibraries}},
	{Name: "Dragon Quest Builders", Short: "dqb", Platform: "switch", ServerID: 0x2CD9DB00, AccessKey: "e720a303", NEX: "4.0.3",
		Protocols: []string{"datastore"},
		Sources:   []string{srcServerList, srcSwitchLibraries}},
	{Name: "PAC-MAN 99", Short: "pacman99", Platform: "switch", ServerID: 0x2E471600, AccessKey: "1e6b25ec", NEX: "4.6.5",
		Protocols: []string{"ranking2", "matchmaking", "utility"},
		Sources:   []string{srcServerList, srcSwitchLibraries}},
	// The server list calls it Game Studio Garage.
	{Name: "Game Builder Garage", Short: "game-builder-garage", Platform: "switch", ServerID: 0x2E99DD00, AccessKey: "97b08aad", NEX: "4.6.5",
		Protocols: []string{"datastore", "matchmaking", "utility"},
		Sources:   []string{srcServerList, srcSwitchLibraries}},
	// Not in kinnay's Switch title list; the Library Versions page has it.
	{Name: "Cave Story+", Short: "cave-story", Platform: "switch", ServerID: 0x2BA73000, AccessKey: "c2a631ad", NEX: "4.0.3",
		Protocols: []string{"ranking"},
		Sources:   []string{srcServerList, srcLibraryVersions}},
}

#include "profiles/bitcoin/network.hpp"

namespace peerlink::bitcoin {

namespace {

constexpr std::string_view k_main_seeds[] = {
    "seed.bitcoin.sipa.be",
    "dnsseed.bluematt.me",
    "dnsseed.bitcoin.dashjr-list-of-p2p-nodes.us",
    "seed.bitcoin.jonasschnelli.ch",
    "seed.btc.petertodd.net",
    "seed.bitcoin.sprovoost.nl",
    "dnsseed.emzy.de",
    "seed.bitcoin.wiz.biz",
    "seed.mainnet.achownodes.xyz",
};
constexpr std::string_view k_test_seeds[] = {
    "testnet-seed.bitcoin.jonasschnelli.ch",
    "seed.tbtc.petertodd.net",
    "seed.testnet.bitcoin.sprovoost.nl",
    "testnet-seed.bluematt.me",
};
constexpr std::string_view k_signet_seeds[] = {
    "seed.signet.bitcoin.sprovoost.nl",
};

// One entry per netgroup, IPv4 and IPv6, from Core's contrib/seeds/nodes_main.txt and
// nodes_signet.txt. Core's nodes_test.txt lists onion addresses only, which the book cannot hold,
// so testnet3 has no fixed seeds here; regtest never has any.
constexpr std::string_view k_main_fixed[] = {
    "142.202.48.124:8333",
    "143.0.142.156:8333",
    "144.126.147.252:8333",
    "147.28.211.75:8333",
    "149.28.116.34:8333",
    "152.117.88.43:8333",
    "162.55.122.93:8333",
    "165.22.229.88:8333",
    "172.93.106.85:8333",
    "176.74.136.237:8333",
    "185.26.99.171:8333",
    "188.138.88.47:8333",
    "192.3.11.20:8333",
    "195.154.172.177:8333",
    "209.141.37.57:8333",
    "[2001:41d0:203:52c2::]:8333",
    "[2600:3c00::f03c:92ff:fe92:2745]:8333",
};
constexpr std::string_view k_signet_fixed[] = {
    "34.135.189.101:38333",  "34.254.97.244:38333",         "37.120.177.204:38333",
    "45.94.168.5:38333",     "49.13.117.253:38333",         "51.79.229.113:38333",
    "62.169.29.181:38333",   "89.58.37.164:38333",          "95.141.35.117:38333",
    "136.144.237.250:38333", "153.126.143.201:38333",       "176.9.62.27:38333",
    "188.165.201.163:38333", "[2a01:4f8:13a:c56::2]:38333", "[2001:41d0:2005:100::c7c]:38333",
};

const NetworkParams k_mainnet{"main", {0xf9, 0xbe, 0xb4, 0xd9}, 8333, k_main_seeds, k_main_fixed};
const NetworkParams k_testnet3{"test", {0x0b, 0x11, 0x09, 0x07}, 18333, k_test_seeds, {}};
const NetworkParams k_signet{"signet", {0x0a, 0x03, 0xcf, 0x40}, 38333, k_signet_seeds, k_signet_fixed};
const NetworkParams k_regtest{"regtest", {0xfa, 0xbf, 0xb5, 0xda}, 18444, {}, {}};

}  // namespace

const NetworkParams& mainnet() {
    return k_mainnet;
}
const NetworkParams& testnet3() {
    return k_testnet3;
}
const NetworkParams& signet() {
    return k_signet;
}
const NetworkParams& regtest() {
    return k_regtest;
}

std::optional<const NetworkParams*> network_by_name(std::string_view name) {
    if (name == "main" || name == "mainnet") return &k_mainnet;
    if (name == "test" || name == "testnet" || name == "testnet3") return &k_testnet3;
    if (name == "signet") return &k_signet;
    if (name == "regtest") return &k_regtest;
    return std::nullopt;
}

}  // namespace peerlink::bitcoin

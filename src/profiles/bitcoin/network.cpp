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

const NetworkParams k_mainnet{"main", {0xf9, 0xbe, 0xb4, 0xd9}, 8333, k_main_seeds};
const NetworkParams k_testnet3{"test", {0x0b, 0x11, 0x09, 0x07}, 18333, k_test_seeds};
const NetworkParams k_signet{"signet", {0x0a, 0x03, 0xcf, 0x40}, 38333, k_signet_seeds};
const NetworkParams k_regtest{"regtest", {0xfa, 0xbf, 0xb5, 0xda}, 18444, {}};

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

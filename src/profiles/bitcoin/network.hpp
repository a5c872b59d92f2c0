// The Bitcoin networks we can join (Bitcoin Core chainparams.cpp): message start bytes, default
// P2P port and DNS seed host names. Names only: resolving them is the driver's job.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace peerlink::bitcoin {

using Magic = std::array<std::uint8_t, 4>;

struct NetworkParams {
    std::string_view name;  // as Bitcoin Core's -chain= spells it
    Magic magic;            // pchMessageStart, in wire order
    std::uint16_t default_port;
    /// DNS seeds as Bitcoin Core lists them (vSeeds).
    std::span<const std::string_view> dns_seeds;
    /// A handful of HOST:PORT entries from Core's fixed seeds (contrib/seeds/nodes_*.txt, from which
    /// chainparamsseeds.h is generated): the last resort when the book is empty and DNS gave nothing.
    std::span<const std::string_view> fixed_seeds;
};

const NetworkParams& mainnet();
const NetworkParams& testnet3();
const NetworkParams& signet();  // the default signet (its challenge fixes these start bytes)
const NetworkParams& regtest();

/// "main"/"mainnet", "test"/"testnet"/"testnet3", "signet", "regtest"; nullopt otherwise.
std::optional<const NetworkParams*> network_by_name(std::string_view name);

}  // namespace peerlink::bitcoin

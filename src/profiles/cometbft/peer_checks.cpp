#include "profiles/cometbft/peer_checks.hpp"

#include "profiles/cometbft/node_key.hpp"

namespace peerlink::cometbft {

namespace {
const char* describe(int value) {
    switch (static_cast<HostErrc>(value)) {
        case HostErrc::id_mismatch:
            return "NodeInfo ID does not match the authenticated key";
        case HostErrc::dialed_id_mismatch:
            return "peer is not the node we dialled";
        case HostErrc::self_connection:
            return "connected to ourselves";
        case HostErrc::node_info_timeout:
            return "NodeInfo exchange timed out";
        case HostErrc::filter_rejected:
            return "peer refused by a peer filter";
        case HostErrc::filter_timeout:
            return "peer filter did not answer in time";
        case HostErrc::duplicate_replaced:
            return "replaced by another connection to the same node";
    }
    return "unknown host error";
}
}  // namespace

const std::error_category& HostErrc_category() {
    static const base::MessageCategory category("cometbft.host", describe);
    return category;
}

bool replaces_existing(const peer::NodeId& our_id, const peer::NodeId& their_id, peer::Direction existing,
                       peer::Direction incoming) {
    const auto dialer = [&](peer::Direction d) -> const peer::NodeId& {
        return d == peer::Direction::outbound ? our_id : their_id;
    };
    if (existing == incoming) return true;
    return dialer(incoming) < dialer(existing);
}

base::Result<CheckedPeer> check_peer(const NodeInfo& ours, const peer::NodeId& our_id,
                                     const ConnectionFacts& facts, base::ByteView message,
                                     connmgr::ConnManager& connmgr) {
    auto decoded = decode(message);
    if (!decoded) return base::Failure{decoded.error()};
    const NodeInfo& theirs = *decoded;
    PEERLINK_TRY(validate(theirs));
    const peer::NodeId authenticated = node_id_of(facts.authenticated_key);
    const auto claimed = peer::NodeId::from_hex(theirs.node_id);
    if (!claimed || *claimed != authenticated) return base::fail(HostErrc::id_mismatch);
    // Self first: whatever ID the address claimed, it leads to us and must never be dialled again.
    if (authenticated == our_id) {
        if (facts.dialed) connmgr.on_self_address(*facts.dialed);
        return base::fail(HostErrc::self_connection);
    }
    if (facts.dialed && facts.dialed->id != authenticated) return base::fail(HostErrc::dialed_id_mismatch);
    PEERLINK_TRY(check_compatible(ours, theirs));
    bool replaces = false;
    if (auto admitted = connmgr.admit_peer(authenticated, facts.ip, facts.direction); !admitted) {
        const auto existing = connmgr.direction_of(authenticated);
        if (admitted.error() != connmgr::Errc::already_connected || !existing ||
            !replaces_existing(our_id, authenticated, *existing, facts.direction)) {
            return base::Failure{admitted.error()};
        }
        replaces = true;
    }
    return CheckedPeer{.info = {.id = authenticated,
                                .direction = facts.direction,
                                .remote_ip = facts.ip,
                                .remote_port = facts.port,
                                .listen_addr = theirs.listen_addr,
                                .network = theirs.network,
                                .version = theirs.version,
                                .moniker = theirs.moniker,
                                .channels = theirs.channels,
                                .persistent = false},
                       .replaces_existing = replaces};
}

}  // namespace peerlink::cometbft

#include "sim/reason.hpp"

#include <array>
#include <span>
#include <string_view>

#include "codec/protobuf.hpp"
#include "connmgr/conn_manager.hpp"
#include "mux/mconnection.hpp"
#include "profiles/cometbft/node_info.hpp"
#include "profiles/cometbft/peer_checks.hpp"
#include "profiles/cometbft/secret_connection.hpp"
#include "transport/connection.hpp"

namespace peerlink::sim {

namespace {

// Indexed by enumerator value - 1; kept in the order the enums declare them.
constexpr std::array k_connmgr{"too_many_inbound",
                               "too_many_outbound",
                               "too_many_pending",
                               "ip_throttled",
                               "ip_not_allowed",
                               "duplicate_ip",
                               "already_connected",
                               "self",
                               "bad_ip"};
constexpr std::array k_host{"id_mismatch",       "dialed_id_mismatch", "self_connection",
                            "node_info_timeout", "filter_rejected",    "filter_timeout"};
constexpr std::array k_secret{
    "bad_ephemeral_key",      "low_order_ephemeral_key", "handshake_message_too_large",
    "malformed_auth_message", "unsupported_key_type",    "bad_signature",
    "frame_too_large",        "decrypt_failed",          "nonce_exhausted",
    "handshake_timeout",      "not_established"};
constexpr std::array k_node_info{"malformed",         "bad_node_id",
                                 "bad_listen_addr",   "bad_version",
                                 "too_many_channels", "duplicate_channel",
                                 "bad_moniker",       "bad_tx_index",
                                 "bad_rpc_address",   "incompatible_block_version",
                                 "wrong_network",     "no_common_channels"};
constexpr std::array k_mux{"unknown_channel", "message_too_large", "packet_too_large", "malformed_packet",
                           "pong_timeout"};
constexpr std::array k_transport{"closed_by_peer", "closed_locally", "dial_timeout", "no_session"};
constexpr std::array k_codec{"truncated",        "varint_overflow",   "bad_wire_type",
                             "bad_field_number", "message_too_large", "wrong_wire_type"};

const char* lookup(std::span<const char* const> names, int value) {
    return value >= 1 && static_cast<std::size_t>(value) <= names.size()
               ? names[static_cast<std::size_t>(value) - 1]
               : nullptr;
}

const char* known(const std::error_code& ec) {
    const auto& category = ec.category();
    const int v = ec.value();
    if (category == connmgr::Errc_category()) return lookup(k_connmgr, v);
    if (category == cometbft::HostErrc_category()) return lookup(k_host, v);
    if (category == cometbft::Errc_category()) return lookup(k_secret, v);
    if (category == cometbft::NodeInfoErrc_category()) return lookup(k_node_info, v);
    if (category == mux::Errc_category()) return lookup(k_mux, v);
    if (category == transport::Errc_category()) return lookup(k_transport, v);
    if (category == codec::Errc_category()) return lookup(k_codec, v);
    if (ec == std::errc::connection_refused) return "connection_refused";
    if (ec == std::errc::connection_reset) return "connection_reset";
    if (ec == std::errc::timed_out) return "timed_out";
    return nullptr;
}

}  // namespace

std::string reason_name(std::error_code ec) {
    if (!ec) return "ok";
    if (const char* name = known(ec)) return name;
    std::string text = std::string(ec.category().name()) + ":" + ec.message();
    for (char& c : text) {
        if (c == ' ') c = '_';
    }
    return text;
}

}  // namespace peerlink::sim

#include "gossip/gossip_core.hpp"

#include <stdexcept>

#include "crypto/crypto.hpp"

namespace peerlink::gossip {

namespace {

const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::message_too_large:
            return "gossip message above the maximum size";
    }
    return "unknown gossip error";
}

}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("gossip", describe);
    return category;
}

MessageId message_id(base::ByteView payload) {
    return crypto::sha256(payload);
}

GossipCore::GossipCore(CoreOptions options, addrbook::SipKey key)
    : m_options(options), m_key(key), m_seen(options.seen_ttl, options.seen_capacity, key) {
    if (m_options.max_message_size == 0) throw std::invalid_argument("gossip: max_message_size must be > 0");
    if (m_options.known_per_peer == 0) throw std::invalid_argument("gossip: known_per_peer must be > 0");
}

void GossipCore::add_peer(const peer::NodeId& peer) {
    m_known[peer] = std::make_unique<MruSet>(m_options.known_per_peer, m_key);
}

void GossipCore::remove_peer(const peer::NodeId& peer) {
    m_known.erase(peer);
}

GossipCore::Received GossipCore::on_message(const peer::NodeId& from, base::ByteView payload,
                                            base::TimePoint now) {
    Received out;
    // Checked before hashing: the size rule costs nothing, the hash costs a pass over the bytes.
    if (payload.size() > m_options.max_message_size) {
        out.kind = Received::Kind::oversized;
        return out;
    }
    out.id = message_id(payload);
    if (const auto sender = m_known.find(from); sender != m_known.end()) sender->second->insert(out.id);
    if (!m_seen.insert(out.id, now)) {
        out.kind = Received::Kind::duplicate;
        return out;
    }
    out.kind = Received::Kind::delivered;
    out.relay_to = targets(out.id, &from);
    return out;
}

base::Result<GossipCore::Published> GossipCore::publish(base::ByteView payload, base::TimePoint now) {
    if (payload.size() > m_options.max_message_size) return base::fail(Errc::message_too_large);
    Published out;
    out.id = message_id(payload);
    (void)m_seen.insert(out.id, now);
    out.send_to = targets(out.id, nullptr);
    return out;
}

bool GossipCore::knows(const peer::NodeId& peer, const MessageId& id) const {
    const auto found = m_known.find(peer);
    return found != m_known.end() && found->second->contains(id);
}

std::vector<peer::NodeId> GossipCore::targets(const MessageId& id, const peer::NodeId* except) {
    std::vector<peer::NodeId> out;
    out.reserve(m_known.size());
    for (auto& [peer, known] : m_known) {
        if ((except && peer == *except) || known->contains(id)) continue;
        known->insert(id);
        out.push_back(peer);
    }
    return out;
}

}  // namespace peerlink::gossip

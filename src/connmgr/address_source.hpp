// Where ConnManager finds addresses to fill its outbound slots: a narrow interface the address
// book will implement, and FixedAddressSource, a plain list for tests and for nodes without one.
// Node thread only.
#pragma once
#include <cstddef>
#include <functional>
#include <vector>

#include "base/clock.hpp"
#include "peer/node_id.hpp"

namespace peerlink::connmgr {

class AddressSource {
public:
    /// ConnManager's verdict on one address: false for addresses it would not dial now (connected,
    /// being dialled, dialled recently, our own, outside the allow list).
    using Usable = std::function<bool(const peer::PeerAddress&)>;

    /// Up to `n` addresses, best first, each of which `usable` accepted. Called from
    /// ConnManager::poll only when an outbound slot is free.
    virtual std::vector<peer::PeerAddress> pick_addresses(std::size_t n, base::TimePoint now,
                                                          const Usable& usable) = 0;

    // Outcomes, so a source can learn (an address book records them). ConnManager calls these;
    // they default to nothing.
    /// A dial to `address` starts (redials included).
    virtual void on_dial_started(const peer::PeerAddress& address, base::TimePoint now) {
        (void)address;
        (void)now;
    }
    /// The dial (or its handshake) failed.
    virtual void on_dial_failed(const peer::PeerAddress& address, base::TimePoint now) {
        (void)address;
        (void)now;
    }
    /// An outbound connection to `address` is up.
    virtual void on_connected(const peer::PeerAddress& address, base::TimePoint now) {
        (void)address;
        (void)now;
    }
    /// That outbound connection went down.
    virtual void on_disconnected(const peer::PeerAddress& address) { (void)address; }

protected:
    ~AddressSource() = default;
};

/// A fixed list, handed out round-robin so that unusable entries at the front do not hide the rest.
class FixedAddressSource final : public AddressSource {
public:
    FixedAddressSource() = default;
    explicit FixedAddressSource(std::vector<peer::PeerAddress> addresses)
        : m_addresses(std::move(addresses)) {}

    void add(peer::PeerAddress address) { m_addresses.push_back(std::move(address)); }
    [[nodiscard]] std::size_t size() const { return m_addresses.size(); }

    std::vector<peer::PeerAddress> pick_addresses(std::size_t n, base::TimePoint now,
                                                  const Usable& usable) override;

private:
    std::vector<peer::PeerAddress> m_addresses;
    std::size_t m_next = 0;  // where the next scan starts
};

}  // namespace peerlink::connmgr

// A one-shot session: writes one uvarint-delimited message and reads one (bounded), the way
// CometBFT exchanges NodeInfo over a fresh SecretConnection. Node thread only.
#pragma once
#include <functional>

#include "base/bytes.hpp"
#include "transport/session.hpp"

namespace peerlink::transport {

class DelimitedExchange final : public Session {
public:
    /// `on_message` runs once with the peer's message (a view valid during the call); it usually
    /// attaches the next session. A message above `max_size` fails with codec::Errc::message_too_large.
    DelimitedExchange(base::Bytes ours, std::size_t max_size, std::function<void(base::ByteView)> on_message);

    base::Result<void> on_receive(base::ByteView plaintext, base::TimePoint now) override;
    base::Result<PollResult> poll(base::Buffer& out, base::TimePoint now) override;
    /// Nothing more is read once their message is in: the next session takes over from there.
    ReceiveAllowance receive_allowance(base::TimePoint) override {
        return m_received ? ReceiveAllowance{.bytes = 0, .retry_at = base::TimePoint::max()}
                          : ReceiveAllowance{};
    }
    [[nodiscard]] bool has_pending_output() const override { return !m_sent; }
    [[nodiscard]] base::ByteView leftover() const override { return m_leftover.data(); }

private:
    base::Bytes m_ours;
    std::size_t m_max_size;
    std::function<void(base::ByteView)> m_on_message;
    bool m_sent = false;
    bool m_received = false;
    base::Buffer m_inbox;     // their message until complete
    base::Buffer m_leftover;  // what followed it
};

}  // namespace peerlink::transport

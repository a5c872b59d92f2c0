#include "transport/delimited_exchange.hpp"

#include "codec/protobuf.hpp"

namespace peerlink::transport {

DelimitedExchange::DelimitedExchange(base::Bytes ours, std::size_t max_size,
                                     std::function<void(base::ByteView)> on_message)
    : m_ours(std::move(ours)), m_max_size(max_size), m_on_message(std::move(on_message)) {}

base::Result<void> DelimitedExchange::on_receive(base::ByteView plaintext, base::TimePoint) {
    if (m_received) {
        m_leftover.append(plaintext);
        return {};
    }
    // Only as much as the message needs is buffered; the prefix is checked before the body waits.
    base::ByteView input = plaintext;
    if (!m_inbox.empty()) {
        m_inbox.append(plaintext);
        input = m_inbox.data();
    }
    auto message = codec::read_delimited(input, m_max_size);
    if (!message) return base::Failure{message.error()};
    if (!message->has_value()) {
        if (m_inbox.empty()) m_inbox.append(plaintext);
        return {};
    }
    m_received = true;
    m_leftover.append(input.subspan((*message)->consumed));
    m_on_message((*message)->message);
    return {};
}

base::Result<PollResult> DelimitedExchange::poll(base::Buffer& out, base::TimePoint) {
    if (!m_sent) {
        codec::write_delimited(out, m_ours);
        m_sent = true;
    }
    return PollResult{.flush = !out.empty()};
}

}  // namespace peerlink::transport

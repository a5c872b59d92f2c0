// The sans-I/O protocol a transport::Connection runs over an established secure channel, e.g. the
// MConnection multiplexer. Bytes and time in; bytes, wake-up times and errors out.
#pragma once
#include <cstddef>

#include "base/buffer.hpp"
#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"

namespace peerlink::transport {

struct PollResult {
    /// Write the bytes gathered in `out` now (otherwise keep gathering: flush throttling).
    bool flush = false;
    /// Call poll() again no later than this, even if nothing happens.
    base::TimePoint wake_at = base::TimePoint::max();
};

struct ReceiveAllowance {
    /// Plaintext bytes the session accepts now (receive rate limit); SIZE_MAX when unlimited.
    std::size_t bytes = SIZE_MAX;
    /// When bytes is 0: when to ask again.
    base::TimePoint retry_at = base::TimePoint::max();
};

class Session {
public:
    /// Consumes all of `plaintext` (partial packets are kept inside). An error closes the connection.
    virtual base::Result<void> on_receive(base::ByteView plaintext, base::TimePoint now) = 0;
    /// Runs due timers and appends output to `out` (which may already hold unflushed bytes).
    /// An error (e.g. pong timeout) closes the connection.
    virtual base::Result<PollResult> poll(base::Buffer& out, base::TimePoint now) = 0;
    virtual ReceiveAllowance receive_allowance(base::TimePoint now) = 0;
    /// True when poll() has something to write; the driver wakes its writer only then.
    [[nodiscard]] virtual bool has_pending_output() const = 0;
    /// Received bytes this session did not consume because it finished (e.g. a handshake session
    /// that read past its message); the driver hands them to the session that replaces it.
    [[nodiscard]] virtual base::ByteView leftover() const { return {}; }
    /// The connection closed (for any reason): deliver nothing more, complete what is pending.
    virtual void on_close() {}

    virtual ~Session() = default;
};

}  // namespace peerlink::transport

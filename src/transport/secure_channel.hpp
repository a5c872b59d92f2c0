// The sans-I/O secure channel a transport::Connection runs first: a handshake, then sealing and
// opening of a byte stream. CometBFT's SecretConnection implements it (profiles/cometbft).
#pragma once
#include <cstddef>

#include "base/buffer.hpp"
#include "base/bytes.hpp"
#include "base/result.hpp"

namespace peerlink::transport {

class SecureChannel {
public:
    virtual ~SecureChannel() = default;

    /// Appends the bytes that open the handshake (both sides may send at once).
    virtual void start_handshake(base::Buffer& out) = 0;
    /// Feeds bytes received during the handshake; appends any reply to `out`; returns the number of
    /// bytes consumed. Bytes past the handshake stay unconsumed for open().
    virtual base::Result<std::size_t> handshake(base::ByteView in, base::Buffer& out) = 0;
    [[nodiscard]] virtual bool established() const = 0;

    /// Seals a chunk of the outgoing stream, appending records to `out`.
    virtual base::Result<void> seal(base::ByteView plaintext, base::Buffer& out) = 0;
    /// Opens every complete record at the front of `in`, appending plaintext to `plaintext`;
    /// returns the number of bytes consumed (a partial record stays in `in`).
    virtual base::Result<std::size_t> open(base::ByteView in, base::Buffer& plaintext) = 0;
    /// Ciphertext bytes per plaintext byte, for sizing reads and rate accounting (>= 1).
    [[nodiscard]] virtual double expansion() const = 0;
};

}  // namespace peerlink::transport

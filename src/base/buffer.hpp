// A growable contiguous byte buffer with a read cursor: producers prepare()+commit() at the back,
// consumers read data() and consume() from the front without copying. Used for socket I/O.
#pragma once
#include <cstring>
#include <memory>

#include "base/bytes.hpp"

namespace peerlink::base {

class Buffer {
public:
    Buffer() = default;
    explicit Buffer(std::size_t initial_capacity) { reserve(initial_capacity); }
    Buffer(Buffer&&) noexcept = default;
    Buffer& operator=(Buffer&&) noexcept = default;

    /// Readable bytes.
    [[nodiscard]] ByteView data() const { return {m_storage.get() + m_read, m_write - m_read}; }
    [[nodiscard]] MutableByteView mutable_data() { return {m_storage.get() + m_read, m_write - m_read}; }
    [[nodiscard]] std::size_t size() const { return m_write - m_read; }
    [[nodiscard]] bool empty() const { return m_write == m_read; }
    [[nodiscard]] std::size_t capacity() const { return m_capacity; }

    /// Writable space of exactly `n` bytes at the back; valid until the next non-const call.
    MutableByteView prepare(std::size_t n) {
        ensure_tail(n);
        return {m_storage.get() + m_write, n};
    }
    /// Makes `n` prepared bytes readable.
    void commit(std::size_t n) { m_write += n; }
    void append(ByteView b) {
        if (b.empty()) return;
        std::memcpy(prepare(b.size()).data(), b.data(), b.size());
        commit(b.size());
    }
    void push_back(Byte b) {
        prepare(1)[0] = b;
        commit(1);
    }
    /// Drops `n` bytes from the front.
    void consume(std::size_t n) {
        m_read += n;
        if (m_read == m_write) m_read = m_write = 0;
    }
    void clear() { m_read = m_write = 0; }
    void reserve(std::size_t n) { ensure_tail(n); }
    /// Frees storage beyond `keep` bytes when the buffer is empty (bounds idle memory per peer).
    void shrink_if_empty(std::size_t keep) {
        if (empty() && m_capacity > keep) {
            m_storage.reset();
            m_capacity = 0;
            m_read = m_write = 0;
        }
    }

private:
    void ensure_tail(std::size_t n);

    std::unique_ptr<Byte[]> m_storage;
    std::size_t m_capacity = 0;
    std::size_t m_read = 0;
    std::size_t m_write = 0;
};

}  // namespace peerlink::base

#include "base/buffer.hpp"

#include <algorithm>

namespace peerlink::base {

void Buffer::ensure_tail(std::size_t n) {
    if (m_capacity - m_write >= n) return;
    const std::size_t live = m_write - m_read;
    if (m_read > 0 && m_capacity - live >= n && live <= m_capacity / 2) {
        // Compact: move the unread bytes to the front instead of growing.
        std::memmove(m_storage.get(), m_storage.get() + m_read, live);
        m_read = 0;
        m_write = live;
        return;
    }
    const std::size_t wanted = std::max({live + n, m_capacity * 2, std::size_t{256}});
    auto fresh = std::make_unique_for_overwrite<Byte[]>(wanted);
    if (live > 0) std::memcpy(fresh.get(), m_storage.get() + m_read, live);
    m_storage = std::move(fresh);
    m_capacity = wanted;
    m_read = 0;
    m_write = live;
}

}  // namespace peerlink::base

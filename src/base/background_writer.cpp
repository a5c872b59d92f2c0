#include "base/background_writer.hpp"

#include "base/file.hpp"

namespace peerlink::base {

BackgroundWriter::BackgroundWriter(
    std::function<void(const std::filesystem::path&, std::error_code)> on_error)
    : m_on_error(std::move(on_error)), m_thread([this] { run(); }) {}

BackgroundWriter::~BackgroundWriter() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void BackgroundWriter::write(std::filesystem::path path, std::string contents, unsigned mode) {
    {
        std::lock_guard lock(m_mutex);
        m_pending[std::move(path)] = {std::move(contents), mode};
    }
    m_wake.notify_all();
}

void BackgroundWriter::flush() {
    std::unique_lock lock(m_mutex);
    m_idle.wait(lock, [&] { return m_pending.empty() && !m_writing; });
}

void BackgroundWriter::run() {
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [&] { return m_stop || !m_pending.empty(); });
        if (m_pending.empty() && m_stop) return;  // pending snapshots are written before stopping
        auto node = m_pending.extract(m_pending.begin());
        m_writing = true;
        lock.unlock();
        const auto& [contents, mode] = node.mapped();
        auto written = write_file_atomic(node.key(), as_bytes(contents), mode);
        if (!written && m_on_error) m_on_error(node.key(), written.error());
        lock.lock();
        m_writing = false;
        if (m_pending.empty()) m_idle.notify_all();
    }
}

}  // namespace peerlink::base

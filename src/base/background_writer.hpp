// Writes files off the network thread: callers hand over a snapshot (already serialised) and a
// single background thread writes it atomically. Snapshots for the same path coalesce: only the
// newest pending one is written. The destructor writes what is pending, then joins.
#pragma once
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.hpp"

namespace peerlink::base {

class BackgroundWriter {
public:
    /// `on_error` runs on the writer thread for a failed write (e.g. to log it).
    explicit BackgroundWriter(
        std::function<void(const std::filesystem::path&, std::error_code)> on_error = {});
    ~BackgroundWriter();
    BackgroundWriter(const BackgroundWriter&) = delete;
    BackgroundWriter& operator=(const BackgroundWriter&) = delete;

    /// Any thread. Replaces any snapshot still pending for `path`.
    void write(std::filesystem::path path, std::string contents, unsigned mode = 0644);
    /// Any thread. Blocks until everything handed over so far is written.
    void flush();

private:
    void run();

    std::function<void(const std::filesystem::path&, std::error_code)> m_on_error;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_idle;
    std::map<std::filesystem::path, std::pair<std::string, unsigned>> m_pending;
    bool m_writing = false;
    bool m_stop = false;
    std::thread m_thread;
};

}  // namespace peerlink::base

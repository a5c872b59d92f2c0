#include "base/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace peerlink::base {

namespace {

std::error_code last_error() {
    return {errno, std::generic_category()};
}

Result<void> write_all(int fd, ByteView data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(last_error());
        }
        data = data.subspan(static_cast<std::size_t>(n));
    }
    return {};
}

Result<void> fsync_directory(const std::filesystem::path& dir) {
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fail(last_error());
    const int rc = ::fsync(fd);
    const std::error_code ec = rc != 0 ? last_error() : std::error_code{};
    ::close(fd);
    if (ec) return fail(ec);
    return {};
}

}  // namespace

Result<void> write_file_atomic(const std::filesystem::path& path, ByteView contents, unsigned mode) {
    std::filesystem::path temp = path;
    temp += ".tmp-" + std::to_string(::getpid());
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
    if (fd < 0) return fail(last_error());
    auto written = write_all(fd, contents);
    if (written && ::fchmod(fd, static_cast<mode_t>(mode)) != 0) written = fail(last_error());
    if (written && ::fsync(fd) != 0) written = fail(last_error());
    if (::close(fd) != 0 && written) written = fail(last_error());
    if (!written) {
        ::unlink(temp.c_str());
        return written;
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const std::error_code ec = last_error();
        ::unlink(temp.c_str());
        return fail(ec);
    }
    return fsync_directory(path.parent_path());
}

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_size) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(last_error());
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const std::error_code ec = last_error();
        ::close(fd);
        return fail(ec);
    }
    if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) > max_size) {
        ::close(fd);
        return fail(std::errc::file_too_large);
    }
    std::string out(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // a file that shrank under us: return what is there
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    out.resize(done);
    return out;
}

Result<std::filesystem::path> set_aside(const std::filesystem::path& path) {
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    std::filesystem::path target = path;
    target += ".corrupt-" + std::to_string(seconds);
    for (int i = 1; std::filesystem::exists(target) && i < 1000; ++i) {
        target = path;
        target += ".corrupt-" + std::to_string(seconds) + "-" + std::to_string(i);
    }
    std::error_code ec;
    std::filesystem::rename(path, target, ec);
    if (ec) return fail(ec);
    return target;
}

}  // namespace peerlink::base

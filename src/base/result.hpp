// Result<T>: a value or a std::error_code, returned instead of throwing on any input from outside.
// Each layer defines its own error enum and category (see base/error.hpp for the pattern).
#pragma once
#include <cassert>
#include <system_error>
#include <utility>
#include <variant>

namespace peerlink::base {

/// Wraps an error for construction of any Result<T>.
struct Failure {
    std::error_code code;
};
template <typename E>
requires std::is_error_code_enum_v<E> || std::is_error_condition_enum_v<E> Failure fail(E e) {
    return Failure{make_error_code(e)};
}
inline Failure fail(std::error_code ec) {
    return Failure{ec};
}

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}           // NOLINT: implicit by design
    Result(Failure f) : m_v(std::in_place_index<1>, f.code) { assert(f.code); }  // NOLINT

    [[nodiscard]] bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    [[nodiscard]] std::error_code error() const { return ok() ? std::error_code{} : std::get<1>(m_v); }

    T& value() & {
        assert(ok());
        return std::get<0>(m_v);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(m_v);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(m_v));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, std::error_code> m_v;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Failure f) : m_error(f.code) { assert(f.code); }  // NOLINT: implicit by design
    [[nodiscard]] bool ok() const { return !m_error; }
    explicit operator bool() const { return ok(); }
    [[nodiscard]] std::error_code error() const { return m_error; }

private:
    std::error_code m_error;
};

}  // namespace peerlink::base

/// Returns the error of `expr` (a Result) from the enclosing function if it failed.
#define PEERLINK_TRY(expr)                                            \
    do {                                                              \
        if (auto peerlink_try_r = (expr); !peerlink_try_r.ok())       \
            return ::peerlink::base::Failure{peerlink_try_r.error()}; \
    } while (false)

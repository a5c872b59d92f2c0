// One std::error_category per layer: a layer declares `enum class Errc`, PEERLINK_DECLARE_ERRC(Errc)
// in its namespace, PEERLINK_ERROR_ENUM_TRAIT(ns::Errc) at global scope, and defines
// Errc_category() in its .cpp as a static MessageCategory with a message for each value.
#pragma once
#include <string>
#include <system_error>

namespace peerlink::base {

class MessageCategory final : public std::error_category {
public:
    using Describe = const char* (*)(int);
    MessageCategory(const char* name, Describe describe) : m_name(name), m_describe(describe) {}
    const char* name() const noexcept override { return m_name; }
    std::string message(int value) const override { return m_describe(value); }

private:
    const char* m_name;
    Describe m_describe;
};

}  // namespace peerlink::base

#define PEERLINK_DECLARE_ERRC(Enum)                      \
    const std::error_category& Enum##_category();        \
    inline std::error_code make_error_code(Enum e) {     \
        return {static_cast<int>(e), Enum##_category()}; \
    }
#define PEERLINK_ERROR_ENUM_TRAIT(QualifiedEnum) \
    template <>                                  \
    struct std::is_error_code_enum<QualifiedEnum> : std::true_type {};

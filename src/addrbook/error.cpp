#include "addrbook/error.hpp"

namespace peerlink::addrbook {

namespace {
const char* describe(int value) {
    switch (static_cast<Errc>(value)) {
        case Errc::bad_address:
            return "address has an unparseable IP, port 0 or a non-hex ID";
        case Errc::unroutable:
            return "address is not routable (or is local/private in strict mode)";
        case Errc::own_address:
            return "address is one of our own";
        case Errc::banned:
            return "address is banned";
        case Errc::already_known:
            return "address is already in the book";
        case Errc::bucket_full:
            return "address's bucket slot holds an entry that is kept";
        case Errc::corrupt_file:
            return "address book file is corrupt";
        case Errc::unsupported_version:
            return "address book file has an unsupported version";
    }
    return "unknown address book error";
}
}  // namespace

const std::error_category& Errc_category() {
    static const base::MessageCategory category("addrbook", describe);
    return category;
}

}  // namespace peerlink::addrbook

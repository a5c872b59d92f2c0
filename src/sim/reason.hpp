// Short stable names for the errors that end connections in the simulator ("too_many_inbound",
// "pong_timeout"), so traces read like the enums in the code and tests can match them.
#pragma once
#include <string>
#include <system_error>

namespace peerlink::sim {

/// The enumerator's name for the layers a connection runs through; otherwise
/// "<category>:<message with underscores>".
std::string reason_name(std::error_code ec);

}  // namespace peerlink::sim

// The public facade of peerlink: a Node built from a Config, which starts and stops, takes
// application reactors, dials, bans, lists its peers and streams events. Node is the only
// thread-safe class; everything it hands out is a snapshot. See docs/api.md and examples/embed.
#pragma once
#include "node/config.hpp"
#include "node/node.hpp"

namespace peerlink {

using node::Config;
using node::ConfigError;
using node::load_config;
using node::Node;
using node::parse_config;
using node::PeerStatus;
/// An application protocol on its own MConnection channels (Tendermint's Reactor).
using base::SharedBytes;
using mux::ChannelDescriptor;
using mux::ChannelId;
using peer::NodeId;
using peer::PeerPtr;
using router::Event;
using router::EventKind;
using router::Reactor;

}  // namespace peerlink

// How long to wait before redialling a persistent (CometBFT) or static (geth) peer after a failed
// dial: CometBFT's switch.go reconnectToPeer schedule, with geth's never-give-up variant.
// Pure functions; the waits are measured from the moment the failure is reported.
#pragma once
#include <chrono>
#include <optional>

#include "base/clock.hpp"
#include "base/random.hpp"

namespace peerlink::connmgr {

/// reconnectAttempts: dials spaced by k_redial_interval (plus jitter); the first is immediate.
inline constexpr unsigned k_redial_attempts = 20;
inline constexpr base::Duration k_redial_interval = std::chrono::seconds(5);
/// reconnectBackOffAttempts: then dials after 3^i s (plus jitter), i = 0..9.
inline constexpr unsigned k_backoff_attempts = 10;
inline constexpr unsigned k_backoff_base = 3;

struct RedialPolicy {
    /// Each wait gets a uniform extra in [0, jitter), drawn in whole milliseconds (CometBFT: 3 s).
    base::Duration jitter = std::chrono::seconds(3);
    /// Caps every wait, jitter included, when non-zero (persistent_peers_max_dial_period).
    base::Duration max_period{0};
    /// Static peers, and persistent ones under a max_period, keep the last wait forever.
    bool never_give_up = false;
    /// Non-zero: btcd connmgr's linear schedule instead of CometBFT's. The wait after the n-th
    /// consecutive failure is n x linear_step (+ jitter), capped by max_period, never given up.
    base::Duration linear_step{0};
};

/// The wait after the `failures`-th consecutive failed dial (failures >= 1) before the next dial,
/// or nullopt once k_redial_attempts + k_backoff_attempts dials failed and the peer is given up.
///
/// Faithful to reconnectToPeer, which sleeps after each of its first 20 dials and before each of
/// the next 10: after the 20th failure the wait is (5 s + jitter) + (3^0 s + jitter). Draws one
/// jitter per sleep from `random` (none when policy.jitter is under a millisecond).
std::optional<base::Duration> redial_delay(unsigned failures, const RedialPolicy& policy,
                                           base::Random& random);

}  // namespace peerlink::connmgr

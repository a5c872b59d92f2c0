#include "connmgr/redial_schedule.hpp"

#include <algorithm>
#include <cstdint>

namespace peerlink::connmgr {

namespace {

base::Duration draw_jitter(const RedialPolicy& policy, base::Random& random) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(policy.jitter).count();
    if (ms <= 0) return base::Duration::zero();
    return std::chrono::milliseconds(
        static_cast<std::int64_t>(random.uniform(static_cast<std::uint64_t>(ms))));
}

base::Duration backoff_sleep(unsigned exponent) {
    std::int64_t seconds = 1;
    for (unsigned i = 0; i < exponent; ++i)
        seconds *= k_backoff_base;
    return std::chrono::seconds(seconds);
}

}  // namespace

std::optional<base::Duration> redial_delay(unsigned failures, const RedialPolicy& policy,
                                           base::Random& random) {
    if (policy.linear_step > base::Duration::zero()) {
        // btcd: retryCount x retryDuration, capped at maxRetryDuration. Saturate the count, which
        // grows without bound for a peer that is never given up.
        const auto n = static_cast<base::Duration::rep>(std::min(failures, 1'000'000u));
        base::Duration wait = policy.linear_step * n + draw_jitter(policy, random);
        if (policy.max_period > base::Duration::zero()) wait = std::min(wait, policy.max_period);
        return wait;
    }
    constexpr unsigned last = k_redial_attempts + k_backoff_attempts;
    base::Duration wait{};
    if (failures < k_redial_attempts) {
        wait = k_redial_interval + draw_jitter(policy, random);
    } else if (failures == k_redial_attempts) {
        // The sleep that ends the first loop, then the first sleep of the backoff loop.
        wait = k_redial_interval + draw_jitter(policy, random);
        wait += backoff_sleep(0) + draw_jitter(policy, random);
    } else if (failures < last || policy.never_give_up) {
        const unsigned exponent = std::min(failures, last - 1) - k_redial_attempts;
        wait = backoff_sleep(exponent) + draw_jitter(policy, random);
    } else {
        return std::nullopt;
    }
    if (policy.max_period > base::Duration::zero()) wait = std::min(wait, policy.max_period);
    return wait;
}

}  // namespace peerlink::connmgr

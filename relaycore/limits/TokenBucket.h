#pragma once

#include <QtGlobal>

namespace relay {

// A token bucket of `capacity` tokens refilled continuously at capacity per minute, the shape of
// both the rpm and the tpm limit (interface.md §4 "Limits"). Starts full. The level may go below
// zero when a settlement charges more than was reserved; later takes then wait until it has
// refilled past what they need.
//
// The level is kept in 1/60000ths of a token, so one millisecond refills exactly `capacity`
// units: no rounding ever creeps in, and waits come out exact to the millisecond. Time is
// passed in (monotonic ms); a time earlier than the last one seen counts as no time at all.
// Not thread-safe: its owner locks.
class TokenBucket
{
public:
    // Limits beyond these are clamped, so that the arithmetic never overflows.
    static constexpr qint64 kMaxCapacity = 1'000'000'000'000; // 10^12
    static constexpr qint64 kUnitsPerToken = 60'000;          // ms per minute

    TokenBucket(qint64 capacity, qint64 nowMs);

    qint64 capacity() const { return m_capacity; }
    // A new size: the level refilled so far is kept, capped at the new size; not refilled.
    void setCapacity(qint64 capacity, qint64 nowMs);

    // Takes `tokens` if the bucket holds them all, else takes nothing.
    bool tryTake(qint64 tokens, qint64 nowMs);
    // Gives back (positive) or charges (negative) tokens: a refund never fills the bucket past
    // its capacity; a charge may take the level below zero.
    void adjust(qint64 tokens, qint64 nowMs);

    // Whole tokens in the bucket now, rounded down; negative when overdrawn.
    qint64 level(qint64 nowMs);
    // Milliseconds until the bucket holds `tokens` (0 = now); -1 when it never can (more than
    // its capacity).
    qint64 msUntilAvailable(qint64 tokens, qint64 nowMs);
    // Milliseconds until the bucket is full again (0 = full now).
    qint64 msUntilFull(qint64 nowMs);

private:
    void refill(qint64 nowMs);
    qint64 capacityUnits() const { return m_capacity * kUnitsPerToken; }

    qint64 m_capacity;
    qint64 m_levelUnits;
    qint64 m_updatedMs;
};

} // namespace relay

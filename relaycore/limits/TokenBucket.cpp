#include "TokenBucket.h"

#include <algorithm>

namespace relay {

namespace {

// The deepest the level may be overdrawn (in units): far beyond any real use, and far enough
// from the limits of qint64 that the sums below cannot overflow.
constexpr qint64 kMinLevelUnits = -(qint64(1) << 62);

qint64 clampCapacity(qint64 capacity)
{
    return std::clamp<qint64>(capacity, 1, TokenBucket::kMaxCapacity);
}

// Tokens in units, saturated: a token count beyond the largest bucket is as good as infinite.
qint64 toUnits(qint64 tokens)
{
    constexpr qint64 limit = 10 * TokenBucket::kMaxCapacity;
    return std::clamp<qint64>(tokens, -limit, limit) * TokenBucket::kUnitsPerToken;
}

qint64 ceilDiv(qint64 a, qint64 b)
{
    return a <= 0 ? 0 : (a + b - 1) / b;
}

} // namespace

TokenBucket::TokenBucket(qint64 capacity, qint64 nowMs)
    : m_capacity(clampCapacity(capacity)), m_levelUnits(capacityUnits()), m_updatedMs(nowMs)
{
}

void TokenBucket::refill(qint64 nowMs)
{
    if (nowMs <= m_updatedMs)
        return;
    const qint64 elapsed = nowMs - m_updatedMs;
    m_updatedMs = nowMs;
    const qint64 missing = capacityUnits() - m_levelUnits;
    if (missing <= 0)
        return;
    // Compare first: elapsed × capacity could overflow after a long idle time.
    if (elapsed >= ceilDiv(missing, m_capacity))
        m_levelUnits = capacityUnits();
    else
        m_levelUnits += elapsed * m_capacity;
}

void TokenBucket::setCapacity(qint64 capacity, qint64 nowMs)
{
    refill(nowMs);
    m_capacity = clampCapacity(capacity);
    m_levelUnits = std::min(m_levelUnits, capacityUnits());
}

bool TokenBucket::tryTake(qint64 tokens, qint64 nowMs)
{
    refill(nowMs);
    const qint64 units = toUnits(std::max<qint64>(tokens, 0));
    if (units > m_levelUnits)
        return false;
    m_levelUnits -= units;
    return true;
}

void TokenBucket::adjust(qint64 tokens, qint64 nowMs)
{
    refill(nowMs);
    const qint64 units = toUnits(tokens);
    if (units >= 0) {
        // Only a bucket below capacity takes a refund, and never past it.
        if (m_levelUnits < capacityUnits())
            m_levelUnits = std::min(capacityUnits(), m_levelUnits + units);
    } else {
        m_levelUnits = std::max(kMinLevelUnits, m_levelUnits + units);
    }
}

qint64 TokenBucket::level(qint64 nowMs)
{
    refill(nowMs);
    // Rounded toward minus infinity, also when overdrawn.
    const qint64 q = m_levelUnits / kUnitsPerToken;
    return (m_levelUnits % kUnitsPerToken < 0) ? q - 1 : q;
}

qint64 TokenBucket::msUntilAvailable(qint64 tokens, qint64 nowMs)
{
    if (tokens > m_capacity)
        return -1;
    refill(nowMs);
    return ceilDiv(toUnits(std::max<qint64>(tokens, 0)) - m_levelUnits, m_capacity);
}

qint64 TokenBucket::msUntilFull(qint64 nowMs)
{
    refill(nowMs);
    return ceilDiv(capacityUnits() - m_levelUnits, m_capacity);
}

} // namespace relay

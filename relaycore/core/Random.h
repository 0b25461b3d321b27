#pragma once

#include <QtGlobal>

#include <atomic>
#include <initializer_list>
#include <vector>

namespace relay {

// Source of randomness for whatever behaviour depends on it (retry jitter): tests inject a
// sequence instead of the real generator.
class RandomSource
{
public:
    virtual ~RandomSource() = default;
    // A number in [0, limit); 0 when limit is 0.
    virtual quint32 bounded(quint32 limit) = 0;

    // The process-wide source (QRandomGenerator::global()). Thread-safe.
    static RandomSource &system();
};

// Returns the values it was given in turn (each taken modulo the limit), then repeats them.
// Thread-safe.
class SequenceRandom final : public RandomSource
{
public:
    explicit SequenceRandom(std::initializer_list<quint32> values);
    quint32 bounded(quint32 limit) override;

private:
    std::vector<quint32> m_values;
    std::atomic<size_t> m_next{0};
};

} // namespace relay

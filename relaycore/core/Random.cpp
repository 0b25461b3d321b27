#include "Random.h"

#include <QRandomGenerator>

namespace relay {

namespace {

class SystemRandom final : public RandomSource
{
public:
    quint32 bounded(quint32 limit) override
    {
        return limit ? QRandomGenerator::global()->bounded(limit) : 0;
    }
};

} // namespace

RandomSource &RandomSource::system()
{
    static SystemRandom random;
    return random;
}

SequenceRandom::SequenceRandom(std::initializer_list<quint32> values) : m_values(values)
{
    if (m_values.empty())
        m_values.push_back(0);
}

quint32 SequenceRandom::bounded(quint32 limit)
{
    const quint32 value = m_values[m_next.fetch_add(1) % m_values.size()];
    return limit ? value % limit : 0;
}

} // namespace relay

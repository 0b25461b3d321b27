#include "Clock.h"

#include <chrono>

namespace relay {

Clock &Clock::system()
{
    static SystemClock clock;
    return clock;
}

namespace {

// The readings of the calling thread's current moment.
struct MomentReadings
{
    int depth = 0;
    bool haveMonotonic = false;
    bool haveWall = false;
    qint64 monotonicMs = 0;
    qint64 wallMs = 0;
};

thread_local MomentReadings t_moment;

template <class Source> qint64 readMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(Source::now().time_since_epoch()).count();
}

// The moment's reading of one clock, taken on first use; outside a moment a fresh one.
template <class Source> qint64 momentMs(bool &have, qint64 &reading)
{
    if (t_moment.depth == 0)
        return readMs<Source>();
    if (!have) {
        reading = readMs<Source>();
        have = true;
    }
    return reading;
}

} // namespace

SystemClock::Moment::Moment()
{
    ++t_moment.depth;
    t_moment.haveMonotonic = false;
    t_moment.haveWall = false;
}

SystemClock::Moment::~Moment()
{
    --t_moment.depth;
}

qint64 SystemClock::monotonicMs() const
{
    return momentMs<std::chrono::steady_clock>(t_moment.haveMonotonic, t_moment.monotonicMs);
}

qint64 SystemClock::wallMs() const
{
    return momentMs<std::chrono::system_clock>(t_moment.haveWall, t_moment.wallMs);
}

} // namespace relay

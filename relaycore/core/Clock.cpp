#include "Clock.h"

#include <chrono>

namespace relay {

Clock &Clock::system()
{
    static SystemClock clock;
    return clock;
}

namespace {

// A reading of one clock serves this many uses at most, then the clock is read again: one event
// that does a lot of work (a long batch of pipelined requests, answered in the same event) does
// not run on one old reading throughout, so a deadline started late in it starts at about its
// real time. One request answered in one event uses the monotonic clock about twenty times.
constexpr int kUsesPerReading = 16;

// One clock's reading in the calling thread's current moment.
struct Reading
{
    qint64 ms = 0;
    int usesLeft = 0; // 0: none taken yet, or used up
};

// The readings of the calling thread's current moment.
struct MomentReadings
{
    int depth = 0;
    Reading monotonic;
    Reading wall;
};

thread_local MomentReadings t_moment;

template <class Source> qint64 readMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(Source::now().time_since_epoch()).count();
}

// The moment's reading of one clock, taken on first use and again once used up; outside a
// moment a fresh one.
template <class Source> qint64 momentMs(Reading &reading)
{
    if (t_moment.depth == 0)
        return readMs<Source>();
    if (reading.usesLeft == 0) {
        reading.ms = readMs<Source>();
        reading.usesLeft = kUsesPerReading;
    }
    --reading.usesLeft;
    return reading.ms;
}

} // namespace

SystemClock::Moment::Moment()
{
    ++t_moment.depth;
    t_moment.monotonic.usesLeft = 0;
    t_moment.wall.usesLeft = 0;
}

SystemClock::Moment::~Moment()
{
    --t_moment.depth;
}

qint64 SystemClock::monotonicMs() const
{
    return momentMs<std::chrono::steady_clock>(t_moment.monotonic);
}

qint64 SystemClock::wallMs() const
{
    return momentMs<std::chrono::system_clock>(t_moment.wall);
}

} // namespace relay

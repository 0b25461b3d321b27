#pragma once

#include <QtGlobal>

#include <atomic>

namespace relay {

// Source of time for everything whose behaviour depends on it (timeouts, config polling,
// buckets, breakers, budget periods). Tests inject a ManualClock and move time by hand.
class Clock
{
public:
    virtual ~Clock() = default;
    // Milliseconds on a monotonic scale, for durations and deadlines.
    virtual qint64 monotonicMs() const = 0;
    // Milliseconds since the Unix epoch (UTC), for records and calendar periods.
    virtual qint64 wallMs() const = 0;

    // The process-wide real clock.
    static Clock &system();
};

// Real time: steady clock for monotonic, system clock for wall time.
class SystemClock final : public Clock
{
public:
    qint64 monotonicMs() const override;
    qint64 wallMs() const override;

    // While one lives on the calling thread, each of the two clocks is read once and that
    // reading answers the next uses (sixteen at most, then the clock is read again) until the
    // moment ends. A worker handles each socket event as one moment (EpollEventDispatcher): a
    // proxied request read the clocks some twenty-seven times, now about five. The cap keeps an
    // event that does a lot of work (a long batch of pipelined requests answered in one go)
    // from running on one old reading, which would start its deadlines in the past. A moment
    // begun inside another (an event of a nested event loop) reads afresh.
    class Moment
    {
    public:
        Moment();
        ~Moment();
        Moment(const Moment &) = delete;
        Moment &operator=(const Moment &) = delete;
    };
};

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock
{
public:
    explicit ManualClock(qint64 wallStartMs = 1'780'000'000'000) : m_wall(wallStartMs) {}
    qint64 monotonicMs() const override { return m_mono.load(); }
    qint64 wallMs() const override { return m_wall.load(); }
    void advance(qint64 ms)
    {
        m_mono += ms;
        m_wall += ms;
    }

private:
    std::atomic<qint64> m_mono{1'000'000};
    std::atomic<qint64> m_wall;
};

} // namespace relay

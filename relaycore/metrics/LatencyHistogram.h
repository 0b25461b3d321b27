#pragma once

#include <QByteArray>
#include <QtGlobal>

#include <array>
#include <atomic>

namespace relay {

// Counts of durations in fixed buckets (1 ms … 120 s), updated lock-free from any thread;
// percentiles are read from a copy of the counts.
class LatencyHistogram
{
public:
    static constexpr std::array<qint64, 26> kUpperBoundsMs{
        1,   2,   3,    5,    10,   20,   30,   50,   75,    100,   150,   200,   300,
        500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10000, 15000, 30000, 60000, 120000};
    static constexpr size_t kBuckets = kUpperBoundsMs.size() + 1; // the last one is +Inf

    struct Counts
    {
        std::array<quint64, kBuckets> buckets{};
        quint64 count = 0;
        qint64 sumMs = 0;

        Counts operator-(const Counts &older) const;
        Counts &operator+=(const Counts &other);
        // Counts one duration (for a histogram kept under a lock).
        void add(qint64 ms);
        // The q-quantile (0..1) in ms, interpolated inside its bucket; 0 when empty.
        double percentileMs(double q) const;

        // The bucket counts as stored with usage rollups: kBuckets little-endian 64-bit
        // integers. fromBlob reads what it can of a shorter or longer blob (count is rebuilt
        // from the buckets; sumMs is not stored and stays 0).
        QByteArray toBlob() const;
        static Counts fromBlob(const char *data, qsizetype size);
    };

    // The bucket a duration falls in.
    static size_t bucketOf(qint64 ms);
    void record(qint64 ms);
    Counts counts() const;

private:
    std::array<std::atomic<quint64>, kBuckets> m_buckets{};
    std::atomic<quint64> m_count{0};
    std::atomic<qint64> m_sumMs{0};
};

} // namespace relay

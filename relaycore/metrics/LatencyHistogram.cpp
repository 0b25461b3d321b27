#include "LatencyHistogram.h"

#include <QtEndian>

#include <algorithm>
#include <cmath>

namespace relay {

size_t LatencyHistogram::bucketOf(qint64 ms)
{
    // The first bound at or above `ms`, scanned from the smallest: most durations the relay
    // records (its own queue waits, its answers) fall in the first few buckets.
    size_t bucket = 0;
    while (bucket < kUpperBoundsMs.size() && kUpperBoundsMs[bucket] < ms)
        ++bucket;
    return bucket;
}

void LatencyHistogram::record(qint64 ms)
{
    ms = qMax<qint64>(0, ms);
    m_buckets[bucketOf(ms)].fetch_add(1, std::memory_order_relaxed);
    m_count.fetch_add(1, std::memory_order_relaxed);
    m_sumMs.fetch_add(ms, std::memory_order_relaxed);
}

void LatencyHistogram::Counts::add(qint64 ms)
{
    ms = qMax<qint64>(0, ms);
    ++buckets[bucketOf(ms)];
    ++count;
    sumMs += ms;
}

LatencyHistogram::Counts &LatencyHistogram::Counts::operator+=(const Counts &other)
{
    for (size_t i = 0; i < kBuckets; ++i)
        buckets[i] += other.buckets[i];
    count += other.count;
    sumMs += other.sumMs;
    return *this;
}

LatencyHistogram::Counts LatencyHistogram::counts() const
{
    Counts c;
    for (size_t i = 0; i < kBuckets; ++i) {
        c.buckets[i] = m_buckets[i].load(std::memory_order_relaxed);
        c.count += c.buckets[i]; // from the copy, so that it always equals the +Inf bucket
    }
    c.sumMs = m_sumMs.load(std::memory_order_relaxed);
    return c;
}

LatencyHistogram::Counts LatencyHistogram::Counts::operator-(const Counts &older) const
{
    Counts d;
    for (size_t i = 0; i < kBuckets; ++i)
        d.buckets[i] = buckets[i] - older.buckets[i];
    d.count = count - older.count;
    d.sumMs = sumMs - older.sumMs;
    return d;
}

double LatencyHistogram::Counts::percentileMs(double q) const
{
    quint64 total = 0;
    for (quint64 n : buckets)
        total += n;
    if (total == 0)
        return 0;
    // The nearest rank (the smallest sample with at least q of them at or below it), placed
    // inside its bucket by its position there: one sample of 30 ms is 30, not the bucket's middle.
    const double rank = qMax(1.0, std::ceil(q * double(total)));
    double seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
        if (buckets[i] == 0)
            continue;
        const double lower = i == 0 ? 0.0 : double(kUpperBoundsMs[i - 1]);
        const double upper = i < kUpperBoundsMs.size() ? double(kUpperBoundsMs[i]) : lower * 2;
        if (seen + double(buckets[i]) >= rank) {
            const double within = (rank - seen) / double(buckets[i]);
            return lower + (upper - lower) * qBound(0.0, within, 1.0);
        }
        seen += double(buckets[i]);
    }
    return double(kUpperBoundsMs.back());
}

QByteArray LatencyHistogram::Counts::toBlob() const
{
    QByteArray blob(qsizetype(kBuckets * 8), Qt::Uninitialized);
    for (size_t i = 0; i < kBuckets; ++i)
        qToLittleEndian<quint64>(buckets[i], blob.data() + i * 8);
    return blob;
}

LatencyHistogram::Counts LatencyHistogram::Counts::fromBlob(const char *data, qsizetype size)
{
    Counts c;
    const size_t n = qMin(kBuckets, size_t(qMax<qsizetype>(0, size)) / 8);
    for (size_t i = 0; i < n; ++i) {
        c.buckets[i] = qFromLittleEndian<quint64>(data + i * 8);
        c.count += c.buckets[i];
    }
    return c;
}

} // namespace relay

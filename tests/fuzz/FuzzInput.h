#pragma once

// Shared by the fuzz targets: the ways one input is cut into chunks for the incremental APIs,
// and a check that stops the run when two cuts disagree.

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <cstdio>
#include <cstdlib>

namespace fuzz {

using Chunks = QList<QByteArrayView>;

// The input whole; byte by byte (inputs up to 512 bytes); after every '\n'; and in pieces of 1 to
// 64 bytes whose sizes come from a hash of the input, so that a run is reproducible from the input
// alone.
inline QList<Chunks> splits(QByteArrayView input)
{
    QList<Chunks> out;
    out.append(Chunks{input});
    if (input.size() <= 512) {
        Chunks bytes;
        for (qsizetype i = 0; i < input.size(); ++i)
            bytes.append(input.sliced(i, 1));
        out.append(bytes);
    }
    Chunks lines;
    for (qsizetype start = 0; start < input.size();) {
        qsizetype nl = input.indexOf('\n', start);
        const qsizetype end = nl < 0 ? input.size() : nl + 1;
        lines.append(input.sliced(start, end - start));
        start = end;
    }
    out.append(lines);
    quint32 h = 2166136261u; // FNV-1a
    for (const char c : input)
        h = (h ^ quint8(c)) * 16777619u;
    Chunks pieces;
    for (qsizetype start = 0; start < input.size();) {
        h = h * 1103515245u + 12345u;
        const qsizetype n = qMin<qsizetype>(1 + (h >> 16) % 64, input.size() - start);
        pieces.append(input.sliced(start, n));
        start += n;
    }
    out.append(pieces);
    return out;
}

// Aborts (a crash the fuzzer keeps) when the same input gave different results.
inline void expectSame(const QByteArray &first, const QByteArray &other, const char *what)
{
    if (first == other)
        return;
    std::fprintf(stderr, "%s differs between two chunkings of one input:\n%s\n---\n%s\n", what,
                 first.left(2000).constData(), other.left(2000).constData());
    std::abort();
}

inline void expect(bool condition, const char *what)
{
    if (condition)
        return;
    std::fprintf(stderr, "broken expectation: %s\n", what);
    std::abort();
}

} // namespace fuzz

#define FUZZ_ENTRY extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#define FUZZ_INPUT QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size))

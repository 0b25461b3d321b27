#include "RequestId.h"

#include <QRandomGenerator>

#include <atomic>

namespace relay {

QByteArray newRequestId()
{
    // A per-process random base plus a counter: unique without a system call per request.
    static const quint64 base = QRandomGenerator::system()->generate64();
    static std::atomic<quint64> counter{0};
    const quint64 n = counter.fetch_add(1, std::memory_order_relaxed);
    QByteArray id("req_");
    id += QByteArray::number(base >> 32, 16).rightJustified(8, '0');
    id += QByteArray::number((base & 0xffffffffu) ^ n, 16).rightJustified(16, '0');
    return id;
}

} // namespace relay

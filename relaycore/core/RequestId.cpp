#include "RequestId.h"

#include <QRandomGenerator>

#include <random>

namespace relay {

QByteArray newRequestId()
{
    // 96 random bits from a per-thread generator seeded by the system's CSPRNG: unique, and
    // telling a tenant nothing about other tenants' traffic (a counter would).
    thread_local std::mt19937_64 rng(QRandomGenerator::system()->generate64());
    const quint64 a = rng();
    const quint32 b = quint32(rng());
    QByteArray id("req_");
    id += QByteArray::number(a, 16).rightJustified(16, '0');
    id += QByteArray::number(b, 16).rightJustified(8, '0');
    return id;
}

} // namespace relay

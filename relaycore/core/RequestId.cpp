#include "RequestId.h"

#include <QRandomGenerator>

#include <cstring>
#include <random>

namespace relay {

QByteArray newRequestId()
{
    // 96 random bits from a per-thread generator seeded by the system's CSPRNG: unique, and
    // telling a tenant nothing about other tenants' traffic (a counter would).
    thread_local std::mt19937_64 rng(QRandomGenerator::system()->generate64());
    const quint64 a = rng();
    const quint32 b = quint32(rng());
    static constexpr char hex[] = "0123456789abcdef";
    QByteArray id(4 + 16 + 8, Qt::Uninitialized);
    char *out = id.data();
    std::memcpy(out, "req_", 4);
    for (int i = 0; i < 16; ++i)
        out[4 + i] = hex[(a >> (60 - 4 * i)) & 0xf];
    for (int i = 0; i < 8; ++i)
        out[20 + i] = hex[(b >> (28 - 4 * i)) & 0xf];
    return id;
}

} // namespace relay

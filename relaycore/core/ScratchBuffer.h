#pragma once

#include <QByteArray>

#include <cstring>

namespace relay {

// A use of a thread's reusable buffer for bytes built to be written at once (an answer, an
// upstream request's head): the buffer keeps its capacity from one use to the next, so building
// allocates nothing. Each use starts it empty; at its end the bytes are wiped (nothing of a
// request, a tenant's tokens or a provider's key, stays in it), and a buffer grown past kKeep
// is let go of. `storage` is the caller's own thread_local buffer; one use at a time each.
class ScratchBuffer
{
public:
    static constexpr qsizetype kKeep = 64 * 1024;

    explicit ScratchBuffer(QByteArray &storage) : m_bytes(storage) { m_bytes.resize(0); }
    ~ScratchBuffer()
    {
        if (m_bytes.capacity() > kKeep)
            m_bytes = QByteArray();
        else if (!m_bytes.isEmpty())
            std::memset(m_bytes.data(), 0, size_t(m_bytes.size())); // a shared copy detaches first
    }
    ScratchBuffer(const ScratchBuffer &) = delete;
    ScratchBuffer &operator=(const ScratchBuffer &) = delete;

    QByteArray &bytes() { return m_bytes; }

private:
    QByteArray &m_bytes;
};

} // namespace relay

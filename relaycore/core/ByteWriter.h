#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <charconv>
#include <cstring>

namespace relay {

// Appends pieces to a QByteArray through a cursor. The array grows once, by the room asked for,
// and is cut to what was written when the writer ends, so each piece costs a memcpy instead of
// QByteArray::append's out-of-line insert (which checks for aliasing and growth on every call).
// A piece that does not fit grows the array again: asking for too little room costs time, never
// memory safety. Nothing else may change the array while the writer lives.
class ByteWriter
{
public:
    ByteWriter(QByteArray &out, qsizetype room) : m_out(out), m_at(out.size()) { grow(room); }
    ~ByteWriter() { m_out.resize(m_at); }
    ByteWriter(const ByteWriter &) = delete;
    ByteWriter &operator=(const ByteWriter &) = delete;

    void put(QByteArrayView bytes)
    {
        const qsizetype n = bytes.size();
        if (n == 0)
            return;
        if (n > m_room)
            grow(n);
        std::memcpy(m_data + m_at, bytes.data(), size_t(n));
        m_at += n;
        m_room -= n;
    }
    void put(char c)
    {
        if (m_room < 1)
            grow(1);
        m_data[m_at++] = c;
        --m_room;
    }
    // A number in decimal (or another base, for chunk sizes).
    void putNumber(qint64 n, int base = 10)
    {
        char digits[24];
        put(QByteArrayView(digits,
                           std::to_chars(digits, digits + sizeof digits, n, base).ptr - digits));
    }
    // Text as UTF-8, without a temporary when it is ASCII (a host name, as a rule).
    void putUtf8(QStringView text)
    {
        for (const QChar c : text) {
            if (c.unicode() >= 0x80) {
                put(text.toUtf8()); // not ASCII: converted whole
                return;
            }
        }
        if (text.size() > m_room)
            grow(text.size());
        for (const QChar c : text)
            m_data[m_at++] = char(c.unicode());
        m_room -= text.size();
    }

private:
    // Room for n more bytes (QByteArray grows its capacity geometrically).
    void grow(qsizetype n)
    {
        m_out.resize(m_at + n);
        m_data = m_out.data();
        m_room = n;
    }

    QByteArray &m_out;
    char *m_data = nullptr;
    qsizetype m_at;
    qsizetype m_room = 0;
};

} // namespace relay

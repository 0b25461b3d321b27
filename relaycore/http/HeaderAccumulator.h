#pragma once

#include "HttpMessage.h"

namespace relay {

// Collects http-parser's header callbacks (a name and a value may each arrive in pieces) into
// lower-cased name / trimmed value pairs. Shared by the request and response parsers.
class HeaderAccumulator
{
public:
    // maxBytes: the longest name or value accepted; maxHeaders: headers kept beyond are dropped.
    explicit HeaderAccumulator(qint64 maxBytes = -1, qsizetype maxHeaders = -1)
        : m_maxBytes(maxBytes), m_maxHeaders(maxHeaders)
    {
    }

    // false when the piece would make the current name too long.
    bool addField(const char *at, size_t len, HttpHeaders &out)
    {
        if (m_lastWasValue)
            finish(out);
        if (m_maxBytes >= 0 && m_field.size() + qint64(len) > m_maxBytes)
            return false;
        m_field.append(at, qsizetype(len));
        return true;
    }
    // false when the piece would make the current value too long.
    bool addValue(const char *at, size_t len)
    {
        if (m_maxBytes >= 0 && m_value.size() + qint64(len) > m_maxBytes)
            return false;
        m_value.append(at, qsizetype(len));
        m_lastWasValue = true;
        return true;
    }
    // Appends the pending header, if any. The two buffers keep their capacity from header to
    // header; each kept header costs one allocation for its name and one for its value.
    void finish(HttpHeaders &out)
    {
        if (!m_field.isEmpty() && (m_maxHeaders < 0 || out.size() < m_maxHeaders)) {
            if (out.isEmpty())
                out.reserve(16);
            QByteArray name(m_field.size(), Qt::Uninitialized);
            char *to = name.data();
            for (const char c : std::as_const(m_field))
                *to++ = (c >= 'A' && c <= 'Z') ? char(c + ('a' - 'A')) : c;
            out.emplaceBack(std::move(name), QByteArrayView(m_value).trimmed().toByteArray());
        }
        clear();
    }
    void clear()
    {
        m_field.truncate(0);
        m_value.truncate(0);
        m_lastWasValue = false;
    }

private:
    qint64 m_maxBytes;
    qsizetype m_maxHeaders;
    QByteArray m_field;
    QByteArray m_value;
    bool m_lastWasValue = false;
};

} // namespace relay

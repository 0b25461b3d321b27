#pragma once

#include "HttpMessage.h"

#include <span>

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
        m_field.add(at, qsizetype(len));
        return true;
    }
    // false when the piece would make the current value too long.
    bool addValue(const char *at, size_t len)
    {
        if (m_maxBytes >= 0 && m_value.size() + qint64(len) > m_maxBytes)
            return false;
        m_value.add(at, qsizetype(len));
        m_lastWasValue = true;
        return true;
    }
    // Appends the pending header, if any: one allocation for its value, and one for its name
    // unless it is one of the kept names (then it shares that name's bytes).
    void finish(HttpHeaders &out)
    {
        const QByteArrayView field = m_field.view();
        if (!field.isEmpty() && (m_maxHeaders < 0 || out.size() < m_maxHeaders)) {
            if (m_keep.empty())
                append(out, lowered(field));
            else if (const QByteArrayView kept = keptName(field); !kept.isNull())
                append(out, QByteArray::fromRawData(kept.data(), kept.size()));
        }
        clear();
    }
    // Keeps only the headers of these (lower-case) names; the others are read and dropped. The
    // list must outlive the accumulator and its names every header kept, which share their
    // bytes: string literals. Empty: every header is kept.
    void keepOnly(std::span<const QByteArrayView> names) { m_keep = names; }
    // Call before the bytes given to addField / addValue go away (at the end of each piece of
    // input): a name or value still being read is copied out of them.
    void keepPending()
    {
        m_field.keep();
        m_value.keep();
    }
    void clear()
    {
        m_field.clear();
        m_value.clear();
        m_lastWasValue = false;
    }

private:
    void append(HttpHeaders &out, QByteArray name)
    {
        if (out.isEmpty())
            out.reserve(16);
        out.emplaceBack(std::move(name), m_value.view().trimmed().toByteArray());
    }
    static QByteArray lowered(QByteArrayView field)
    {
        QByteArray name(field.size(), Qt::Uninitialized);
        char *to = name.data();
        for (const char c : field)
            *to++ = lower(c);
        return name;
    }
    // The kept name `field` is, or a null view.
    QByteArrayView keptName(QByteArrayView field) const
    {
        // The sizes first: most names differ in length from every kept one.
        for (const QByteArrayView name : m_keep)
            if (name.size() == field.size() && sameLowered(field, name))
                return name;
        return {};
    }
    // Whether `field` lower-cased is `lowerName` (of the same size); ASCII only, as header names
    // are, and inline: qstrnicmp's Latin-1 folding cost more than the rest of the look-up.
    static bool sameLowered(QByteArrayView field, QByteArrayView lowerName)
    {
        for (qsizetype i = 0; i < field.size(); ++i)
            if (lower(field[i]) != lowerName[i])
                return false;
        return true;
    }
    static char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + ('a' - 'A')) : c; }

    std::span<const QByteArrayView> m_keep;
    qint64 m_maxBytes;
    qsizetype m_maxHeaders;
    // A name or value being read: a view of the parser's input while it came in one piece (the
    // usual case, so nothing is copied twice), else the pieces copied together. The buffer keeps
    // its capacity from header to header.
    class Text
    {
    public:
        qsizetype size() const { return m_viewSize + m_buffer.size(); }
        void add(const char *at, qsizetype len)
        {
            if (m_buffer.isEmpty() && m_viewSize == 0) {
                m_view = at;
                m_viewSize = len;
                return;
            }
            keep();
            m_buffer.append(at, len);
        }
        QByteArrayView view() const
        {
            return m_viewSize ? QByteArrayView(m_view, m_viewSize) : QByteArrayView(m_buffer);
        }
        void keep()
        {
            if (m_viewSize) {
                m_buffer.append(m_view, m_viewSize);
                m_viewSize = 0;
            }
        }
        void clear()
        {
            m_viewSize = 0;
            if (!m_buffer.isEmpty()) // the usual case, a view, costs no call into QByteArray
                m_buffer.truncate(0);
        }

    private:
        const char *m_view = nullptr;
        qsizetype m_viewSize = 0;
        QByteArray m_buffer;
    };
    Text m_field;
    Text m_value;
    bool m_lastWasValue = false;
};

} // namespace relay

#pragma once

// Reading a few fields of a JSON document without building a DOM (simdjson's on-demand API),
// for the request and response bodies on the data path. Included by relaycore's .cpp files
// only: simdjson is linked privately.

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <simdjson.h>

#include <string>
#include <string_view>

namespace relay::json {

namespace od = simdjson::ondemand;

// Deeper documents are left to QJsonDocument (its own limit is 1,024 levels).
inline constexpr int kMaxDepth = 200;

// A document of `bytes`, read with the calling thread's parser from a padded copy the
// document's views point into. One per thread at a time; bytes outlive nothing here.
class Scan
{
public:
    explicit Scan(QByteArrayView bytes);
    Scan(const Scan &) = delete;
    Scan &operator=(const Scan &) = delete;

    // The top-level object; false when the bytes do not begin as one.
    bool object(od::object &out);
    // The top-level value; false when the bytes do not begin as JSON.
    bool root(od::value &out);
    // True when nothing but whitespace follows what was read.
    bool atEnd();
    // Where `token` (a view into this document) begins in the bytes given.
    qsizetype offsetOf(std::string_view token) const { return token.data() - m_data; }

private:
    od::parser *m_parser;
    od::parser m_large; // for bodies too big to keep the thread's parser grown to
    std::string m_largeCopy;
    const char *m_data = nullptr;
    od::document m_doc;
    bool m_ok = false;
};

// Reads `v` and everything in it, as strictly as QJsonDocument would at least (numbers with an
// exponent or very long ones, escapes simdjson refuses, depth past kMaxDepth: false, and the
// caller leaves the document to QJsonDocument).
bool skip(od::value v, int depth);

// The raw token of a scalar `v` without the whitespace after it.
std::string_view token(od::value &v);

// A number QJsonDocument reads to the same double: no exponent, at most 30 characters.
bool plainNumber(std::string_view raw);

// Unicode characters of UTF-8 text (QString::toUcs4().size() of it).
qint64 chars(std::string_view utf8);

// `text` as a JSON string literal.
QByteArray quoted(const QString &text);

inline QString toQString(std::string_view s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

} // namespace relay::json

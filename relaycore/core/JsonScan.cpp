#include "JsonScan.h"

#include <cstring>

namespace relay::json {

namespace {

// Documents up to this size keep the thread's parser and padded buffer grown to them.
constexpr qsizetype kThreadBufferMax = 256 * 1024;

struct ThreadState
{
    od::parser parser;
    std::string copy;
};

ThreadState &threadState()
{
    thread_local ThreadState state;
    return state;
}

} // namespace

Scan::Scan(QByteArrayView bytes)
{
    std::string *copy = &m_largeCopy;
    m_parser = &m_large;
    if (bytes.size() <= kThreadBufferMax) {
        ThreadState &state = threadState();
        copy = &state.copy;
        m_parser = &state.parser;
    }
    const size_t size = size_t(bytes.size());
    if (copy->size() < size + simdjson::SIMDJSON_PADDING)
        copy->resize(size + simdjson::SIMDJSON_PADDING);
    if (size)
        std::memcpy(copy->data(), bytes.data(), size);
    std::memset(copy->data() + size, 0, simdjson::SIMDJSON_PADDING);
    m_data = copy->data();
    m_ok = !m_parser->iterate(copy->data(), size, copy->size()).get(m_doc);
}

bool Scan::object(od::object &out)
{
    return m_ok && !m_doc.get_object().get(out);
}

bool Scan::root(od::value &out)
{
    return m_ok && !m_doc.get_value().get(out);
}

bool Scan::atEnd()
{
    // current_location() answers out of bounds once the whole input has been read.
    return m_ok && m_doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

std::string_view token(od::value &v)
{
    std::string_view raw = v.raw_json_token();
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
        raw.remove_suffix(1);
    return raw;
}

bool plainNumber(std::string_view raw)
{
    return raw.size() <= 30 && raw.find_first_of("eE") == std::string_view::npos;
}

bool skip(od::value v, int depth)
{
    if (depth > kMaxDepth)
        return false;
    od::json_type type;
    if (v.type().get(type))
        return false;
    switch (type) {
    case od::json_type::object: {
        od::object o;
        if (v.get_object().get(o))
            return false;
        for (auto field : o) {
            std::string_view key;
            od::value child;
            if (field.unescaped_key().get(key) || field.value().get(child) ||
                !skip(child, depth + 1))
                return false;
        }
        return true;
    }
    case od::json_type::array: {
        od::array a;
        if (v.get_array().get(a))
            return false;
        for (auto element : a) {
            od::value child;
            if (element.get(child) || !skip(child, depth + 1))
                return false;
        }
        return true;
    }
    case od::json_type::string: {
        std::string_view s;
        return !v.get_string().get(s);
    }
    case od::json_type::number: {
        double d;
        return plainNumber(token(v)) && !v.get_double().get(d);
    }
    case od::json_type::boolean: {
        bool b;
        return !v.get_bool().get(b);
    }
    case od::json_type::null: {
        bool isNull = false;
        return !v.is_null().get(isNull) && isNull;
    }
    }
    return false;
}

qint64 chars(std::string_view utf8)
{
    // Every byte but a continuation byte (10xxxxxx) begins a character. Eight bytes at a time: a
    // continuation byte is one whose top bit is set and whose next bit is not.
    const char *p = utf8.data();
    const size_t size = utf8.size();
    qint64 continuations = 0;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        quint64 word;
        std::memcpy(&word, p + i, 8);
        const quint64 tops = (word & ~(word << 1)) & 0x8080808080808080ULL;
        // The eight top bits moved to the bottom of each byte and summed into the highest one.
        continuations += qint64(((tops >> 7) * 0x0101010101010101ULL) >> 56);
    }
    for (; i < size; ++i)
        continuations += (static_cast<unsigned char>(p[i]) & 0xC0) == 0x80;
    return qint64(size) - continuations;
}

QByteArray quoted(const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    // Sized first, then written in place (a model name rarely needs any escape).
    qsizetype size = utf8.size() + 2;
    for (const char c : utf8) {
        if (c == '"' || c == '\\')
            size += 1;
        else if (static_cast<unsigned char>(c) < 0x20)
            size += 5;
    }
    QByteArray out(size, Qt::Uninitialized);
    char *to = out.data();
    *to++ = '"';
    for (const char c : utf8) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            *to++ = '\\';
            *to++ = c;
        } else if (u < 0x20) {
            static const char hex[] = "0123456789abcdef";
            for (const char e : {'\\', 'u', '0', '0', hex[u >> 4], hex[u & 15]})
                *to++ = e;
        } else {
            *to++ = c;
        }
    }
    *to = '"';
    return out;
}

} // namespace relay::json

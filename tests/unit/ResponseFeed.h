#pragma once

#include "http/HttpResponseParser.h"

namespace relay::test {

// HttpResponseParser::feed for a whole byte string.
inline bool feed(HttpResponseParser &parser, QByteArrayView bytes)
{
    return parser.feed(bytes.data(), bytes.size());
}

} // namespace relay::test

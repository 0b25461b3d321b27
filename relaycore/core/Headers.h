#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>

namespace relay {

// HTTP header fields as (name, value) pairs: names kept lower-case, values as received. Plain
// data, so that the policies that name headers (rate-limit headers) need no HTTP code.
using HttpHeaders = QList<QPair<QByteArray, QByteArray>>;

} // namespace relay

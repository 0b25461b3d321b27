#pragma once

#include <QByteArray>

namespace relay {

// A new x-request-id: "req_" + 24 hex characters, unique within and across runs.
QByteArray newRequestId();

} // namespace relay

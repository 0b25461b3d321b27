#pragma once

#include <QByteArray>

namespace relay {

// Anything that looks like an API key ("sk-…") in text from an upstream, masked, so that no
// key reaches a tenant, a log or a usage row.
QByteArray redactKeys(const QByteArray &text);

} // namespace relay

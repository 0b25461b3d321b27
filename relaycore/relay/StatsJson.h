#pragma once

#include "relay/Engine.h"

#include <QJsonObject>

namespace relay {

// The live snapshot as GET /admin/v1/stats answers it and /admin/v1/events streams it
// (interface.md §5): per tenant and per upstream, requests/s, in flight, queued, latency and
// queue-wait percentiles, 429s, 503s; each upstream's circuit; the pin; budgets.
QJsonObject statsJson(const EngineStatsSnapshot &stats);
// A circuit as the `circuit` event carries it: {upstream, state, reason, time}.
QJsonObject circuitJson(const CircuitSnapshot &circuit);
// The other way, for a console that manages the relay through its admin API: the snapshot as
// the embedded engine would have given it. Absent fields stay at their defaults.
EngineStatsSnapshot statsFromJson(const QJsonObject &json);

} // namespace relay

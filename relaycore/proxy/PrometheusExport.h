#pragma once

#include <QByteArray>

namespace relay {

class RelayContext;

// GET /metrics: every tenant's and upstream's counters, in-flight and queued gauges and latency
// histograms in the Prometheus text format (version 0.0.4).
QByteArray prometheusText(RelayContext &context);

} // namespace relay

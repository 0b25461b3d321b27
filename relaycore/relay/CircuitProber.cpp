#include "CircuitProber.h"

#include "core/Clock.h"
#include "proxy/RelayContext.h"
#include "upstream/ConnectionCache.h"
#include "upstream/UpstreamTest.h"

#include <QTimer>

namespace relay {

// One idle check in progress.
class CircuitProber::Check : public UpstreamCallListener
{
public:
    Check(CircuitProber &prober, std::shared_ptr<CircuitBreaker> breaker)
        : m_prober(prober), m_breaker(std::move(breaker))
    {
    }

    void upstreamHead(int status, const HttpHeaders &) override { m_status = status; }
    void upstreamBody(const QByteArray &) override {}
    void upstreamDone() override
    {
        const bool ok = m_status >= 200 && m_status < 300;
        m_prober.finished(this, ok, QStringLiteral("HTTP %1").arg(m_status));
    }
    void upstreamFailed(UpstreamFailure failure, const QByteArray &) override
    {
        m_prober.finished(this, false,
                          failure == UpstreamFailure::FirstByteTimeout
                              ? QStringLiteral("timed out")
                              : QStringLiteral("no answer"));
    }

    std::unique_ptr<UpstreamCall> call; // goes with the check
    std::shared_ptr<CircuitBreaker> breaker() const { return m_breaker; }

private:
    CircuitProber &m_prober;
    std::shared_ptr<CircuitBreaker> m_breaker;
    int m_status = 0;
};

CircuitProber::CircuitProber(RelayContext &context, QObject *parent)
    : QObject(parent), m_context(context), m_cache(std::make_unique<ConnectionCache>()),
      m_deadlines(new DeadlineQueue(context.clock(), this))
{
}

CircuitProber::~CircuitProber()
{
    qDeleteAll(m_checks);
}

void CircuitProber::start(int intervalMs)
{
    m_timer = new QTimer(this);
    m_timer->setInterval(intervalMs);
    connect(m_timer, &QTimer::timeout, this, [this] { tick(); });
    m_timer->start();
}

int CircuitProber::tick()
{
    const qint64 now = m_context.clock().monotonicMs();
    for (Check *check : std::as_const(m_checks))
        if (check->call)
            check->call->checkTimeouts(now);
    m_cache->sweep(now);
    int started = 0;
    const auto config = m_context.config();
    for (const UpstreamConfig &u : config->directory->upstreams) {
        const auto breaker = config->circuitFor(u.name);
        if (!u.enabled || !breaker || !breaker->beginIdleCheck())
            continue;
        auto *check = new Check(*this, breaker);
        check->call =
            std::make_unique<UpstreamCall>(*m_cache, m_context.clock(), *m_deadlines, check);
        m_checks.append(check);
        check->call->start(modelsListRequest(u, 10'000));
        ++started;
    }
    return started;
}

void CircuitProber::finished(Check *check, bool ok, const QString &reason)
{
    check->breaker()->endIdleCheck(ok, reason);
    m_checks.removeOne(check);
    // Called from inside the call's report: the listener and its call go once that has
    // returned.
    QMetaObject::invokeMethod(
        this, [check] { delete check; }, Qt::QueuedConnection);
}

} // namespace relay

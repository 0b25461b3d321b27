#include "UpstreamTest.h"

#include "AnthropicAdapter.h"
#include "ConnectionCache.h"
#include "UpstreamCall.h"
#include "core/Clock.h"
#include "core/Redact.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

namespace relay {

namespace {

constexpr qint64 kTimeoutMs = 10'000;
constexpr qsizetype kMaxBody = 4 * 1024 * 1024;

// The provider's own error message, from OpenAI's or Anthropic's error shape, else the text.
QString errorMessage(const QByteArray &body)
{
    const QJsonObject object = QJsonDocument::fromJson(body).object();
    const QJsonValue error = object.value(QStringLiteral("error"));
    QString message = error.isObject()
                          ? error.toObject().value(QStringLiteral("message")).toString()
                          : error.toString();
    if (message.isEmpty())
        message = QString::fromUtf8(body.left(300)).simplified();
    return QString::fromUtf8(redactKeys(message.toUtf8()));
}

} // namespace

UpstreamRequest modelsListRequest(const UpstreamConfig &u, qint64 timeoutMs)
{
    UpstreamRequest request;
    request.endpoint = {u.tls, u.host, u.port};
    request.method = "GET";
    request.path = anthropic::modelsListPath(u);
    request.headers = anthropic::authHeaders(u);
    request.headers.emplaceBack("user-agent", "TenantRelay/0.1");
    request.firstByteTimeoutMs = qMin<qint64>(u.timeoutMs, timeoutMs);
    return request;
}

class UpstreamTest::Listener : public UpstreamCallListener
{
public:
    explicit Listener(UpstreamTest &test) : m_test(test) {}

    void upstreamHead(int status, const HttpHeaders &) override { m_status = status; }
    void upstreamBody(const QByteArray &bytes) override
    {
        if (m_body.size() < kMaxBody)
            m_body += bytes;
    }
    void upstreamDone() override
    {
        UpstreamTestResult result;
        result.status = m_status;
        if (m_status < 200 || m_status >= 300) {
            result.error = QStringLiteral("HTTP %1: %2").arg(m_status).arg(errorMessage(m_body));
            return m_test.finish(result);
        }
        // OpenAI and Anthropic both answer {"data": [{"id": ...}, ...]}.
        const QJsonValue data =
            QJsonDocument::fromJson(m_body).object().value(QStringLiteral("data"));
        if (!data.isArray()) {
            result.error =
                QStringLiteral("HTTP %1, but the answer is not a models list").arg(m_status);
            return m_test.finish(result);
        }
        for (const QJsonValue model : data.toArray())
            result.models.append(model.toObject().value(QStringLiteral("id")).toString());
        result.models.sort();
        result.ok = true;
        m_test.finish(result);
    }
    void upstreamFailed(UpstreamFailure failure, const QByteArray &message) override
    {
        UpstreamTestResult result;
        result.error = failure == UpstreamFailure::FirstByteTimeout
                           ? QStringLiteral("no answer within %1 s").arg(kTimeoutMs / 1000)
                           : QString::fromUtf8(redactKeys(message));
        if (result.error.isEmpty())
            result.error = QStringLiteral("could not reach the upstream");
        m_test.finish(result);
    }

private:
    UpstreamTest &m_test;
    int m_status = 0;
    QByteArray m_body;
};

UpstreamTest::UpstreamTest(const UpstreamConfig &upstream, Clock &clock, Done done, QObject *parent)
    : QObject(parent), m_upstream(upstream), m_clock(clock), m_done(std::move(done)),
      m_cache(std::make_unique<ConnectionCache>()), m_deadlines(new DeadlineQueue(clock, this)),
      m_listener(std::make_unique<Listener>(*this))
{
}

UpstreamTest::~UpstreamTest() = default;

void UpstreamTest::start()
{
    m_startMs = m_clock.monotonicMs();
    UpstreamConfig u = m_upstream;
    QString urlError;
    if (!u.parseBaseUrl(&urlError)) {
        UpstreamTestResult result;
        result.error =
            urlError.isEmpty() ? QStringLiteral("the base URL is not http(s)") : urlError;
        // Reported from a fresh stack, as every other outcome is.
        QTimer::singleShot(0, this, [this, result] { finish(result); });
        return;
    }
    m_call = std::make_unique<UpstreamCall>(*m_cache, m_clock, *m_deadlines, m_listener.get());
    m_call->start(modelsListRequest(u, kTimeoutMs));
}

void UpstreamTest::finish(UpstreamTestResult result)
{
    if (m_finished)
        return;
    m_finished = true;
    result.latencyMs = m_clock.monotonicMs() - m_startMs;
    if (m_done)
        m_done(result);
}

} // namespace relay

// The simulated provider on its own, over raw TCP: requests written by hand (never through the
// relay's HTTP code, which the simulator exists to test), answers read by a small reader here.
#include "sim/Simulator.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTest>

using namespace relay;

namespace {

const QByteArray kAnthropicHeaders = "x-api-key: sk-test\r\nanthropic-version: 2023-06-01\r\n";

struct Answer
{
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> headers; // names lower-cased
    QByteArray body;

    QByteArray header(const QByteArray &name) const
    {
        for (const auto &h : headers)
            if (h.first == name)
                return h.second;
        return {};
    }
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    // The SSE events of a streamed body: (event name or empty, data).
    QList<QPair<QByteArray, QByteArray>> events() const
    {
        QList<QPair<QByteArray, QByteArray>> out;
        for (const QByteArray &block : body.split('\n')) {
            if (block.startsWith("event: "))
                out.append({block.mid(7), {}});
            else if (block.startsWith("data: ")) {
                if (out.isEmpty() || !out.last().second.isEmpty())
                    out.append(qMakePair(QByteArray(), QByteArray()));
                out.last().second = block.mid(6);
            }
        }
        return out;
    }
};

// One client connection: writes raw bytes, reads whole answers (Content-Length, chunked, or
// to the end of the connection).
class RawClient
{
public:
    explicit RawClient(quint16 port)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        m_socket.waitForConnected(5000);
    }

    void write(const QByteArray &bytes)
    {
        m_socket.write(bytes);
        m_socket.waitForBytesWritten(5000);
    }

    // A request with a Content-Length body.
    void send(const QByteArray &method, const QByteArray &path, const QByteArray &body = {},
              const QByteArray &headers = {})
    {
        write(method + ' ' + path + " HTTP/1.1\r\nhost: sim\r\n" + headers +
              (body.isEmpty() ? QByteArray()
                              : "content-type: application/json\r\ncontent-length: " +
                                    QByteArray::number(body.size()) + "\r\n") +
              "\r\n" + body);
    }

    bool read(Answer *out, int timeoutMs = 10'000)
    {
        QElapsedTimer timer;
        timer.start();
        const auto more = [&] {
            if (m_socket.bytesAvailable() == 0 &&
                !m_socket.waitForReadyRead(int(qMax<qint64>(1, timeoutMs - timer.elapsed()))))
                return false;
            m_in += m_socket.readAll();
            return true;
        };
        *out = Answer();
        qsizetype headEnd;
        for (;;) {
            while ((headEnd = m_in.indexOf("\r\n\r\n")) < 0)
                if (!more())
                    return false;
            if (!m_in.startsWith("HTTP/1.1 100 "))
                break;
            m_in.remove(0, headEnd + 4); // an interim answer
        }
        const QList<QByteArray> lines = m_in.left(headEnd).split('\n');
        m_in.remove(0, headEnd + 4);
        out->status = lines.first().split(' ').value(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            out->headers.append(
                {lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed()});
        }
        if (out->header("transfer-encoding") == "chunked") {
            for (;;) {
                qsizetype lineEnd;
                while ((lineEnd = m_in.indexOf("\r\n")) < 0)
                    if (!more())
                        return false;
                const qsizetype size = m_in.left(lineEnd).toLongLong(nullptr, 16);
                while (m_in.size() < lineEnd + 2 + size + 2)
                    if (!more())
                        return false;
                out->body += m_in.mid(lineEnd + 2, size);
                m_in.remove(0, lineEnd + 2 + size + 2);
                if (size == 0)
                    return true;
            }
        }
        const QByteArray length = out->header("content-length");
        if (length.isEmpty()) {
            while (more()) {
            }
            out->body = std::exchange(m_in, {});
            return true;
        }
        while (m_in.size() < length.toLongLong())
            if (!more())
                return false;
        out->body = m_in.left(length.toLongLong());
        m_in.remove(0, length.toLongLong());
        return true;
    }

    bool waitClosed(int timeoutMs = 5000)
    {
        QElapsedTimer timer;
        timer.start();
        while (m_socket.state() != QAbstractSocket::UnconnectedState && timer.elapsed() < timeoutMs)
            m_socket.waitForReadyRead(50);
        return m_socket.state() == QAbstractSocket::UnconnectedState;
    }
    void close() { m_socket.abort(); }
    // Waits until what has arrived (not yet read as an answer) starts with `bytes`.
    bool waitForBytes(const QByteArray &bytes)
    {
        while (!m_in.startsWith(bytes)) {
            if (!m_socket.waitForReadyRead(5000))
                return false;
            m_in += m_socket.readAll();
        }
        return true;
    }

private:
    QTcpSocket m_socket;
    QByteArray m_in;
};

Answer call(Simulator &sim, const QByteArray &method, const QByteArray &path,
            const QByteArray &body = {}, const QByteArray &headers = {})
{
    RawClient c(sim.port());
    c.send(method, path, body, headers);
    Answer a;
    if (!c.read(&a))
        qWarning("no answer to %s %s", method.constData(), path.constData());
    return a;
}

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

qint64 tokens(qint64 chars)
{
    return (chars + 3) / 4;
}

// The data of the events of a stream, parsed, with their event names.
QList<QPair<QByteArray, QJsonObject>> jsonEvents(const Answer &a)
{
    QList<QPair<QByteArray, QJsonObject>> out;
    for (const auto &e : a.events())
        out.append({e.first, QJsonDocument::fromJson(e.second).object()});
    return out;
}

const QByteArray kCachedBody =
    R"({"model":"claude-haiku-4-5","max_tokens":50,)"
    R"("system":[{"type":"text","text":"You are a careful assistant of the relay.",)"
    R"("cache_control":{"type":"ephemeral"}}],)"
    R"("messages":[{"role":"user","content":[{"type":"text","text":"What is a tenant?"}]}]})";
// 41 characters of system text (cached), 17 of the question.
constexpr qint64 kCachedChars = 41;
constexpr qint64 kQuestionChars = 17;

} // namespace

class TestSimulator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        m_sim = std::make_unique<Simulator>();
        QVERIFY(m_sim->start());
    }
    void cleanup() { m_sim.reset(); }

    void modelByIdInOpenAIShape()
    {
        const Answer a = call(*m_sim, "GET", "/v1/models/gpt-4o-mini");
        QCOMPARE(a.status, 200);
        const QJsonObject m = a.json();
        QCOMPARE(m.value("id").toString(), QStringLiteral("gpt-4o-mini"));
        QCOMPARE(m.value("object").toString(), QStringLiteral("model"));
        QVERIFY(m.value("created").toInteger() > 0);
        QVERIFY(!m.value("owned_by").toString().isEmpty());
        // Every model the list names is found by id.
        for (const auto &listed : call(*m_sim, "GET", "/v1/models").json().value("data").toArray())
            QCOMPARE(call(*m_sim, "GET",
                          "/v1/models/" + listed.toObject().value("id").toString().toUtf8())
                         .status,
                     200);
        const Answer missing = call(*m_sim, "GET", "/v1/models/no-such-model");
        QCOMPARE(missing.status, 404);
        const QJsonObject error = missing.json().value("error").toObject();
        QCOMPARE(error.value("code").toString(), QStringLiteral("model_not_found"));
        QCOMPARE(error.value("type").toString(), QStringLiteral("invalid_request_error"));
    }

    void modelByIdInAnthropicShape()
    {
        const Answer a = call(*m_sim, "GET", "/v1/models/claude-haiku-4-5", {}, kAnthropicHeaders);
        QCOMPARE(a.status, 200);
        const QJsonObject m = a.json();
        QCOMPARE(m.value("type").toString(), QStringLiteral("model"));
        QCOMPARE(m.value("id").toString(), QStringLiteral("claude-haiku-4-5"));
        QVERIFY(!m.value("display_name").toString().isEmpty());
        QVERIFY(!m.value("created_at").toString().isEmpty());
        const Answer missing = call(*m_sim, "GET", "/v1/models/gpt-4o", {}, kAnthropicHeaders);
        QCOMPARE(missing.status, 404);
        QCOMPARE(missing.json().value("type").toString(), QStringLiteral("error"));
        QCOMPARE(missing.json().value("error").toObject().value("type").toString(),
                 QStringLiteral("not_found_error"));
    }

    void chat()
    {
        const QByteArray body =
            R"({"model":"any-model","messages":[{"role":"user","content":"hello relay"}]})";
        const Answer a = call(*m_sim, "POST", "/v1/chat/completions", body);
        QCOMPARE(a.status, 200);
        const QJsonObject usage = a.json().value("usage").toObject();
        QCOMPARE(usage.value("prompt_tokens").toInteger(), tokens(11));
        QCOMPARE(usage.value("completion_tokens").toInteger(), 12);
        QCOMPARE(a.json()
                     .value("choices")
                     .toArray()
                     .first()
                     .toObject()
                     .value("message")
                     .toObject()
                     .value("content")
                     .toString(),
                 Simulator::completionText(12));

        QByteArray streamed = body;
        streamed.chop(1);
        streamed += R"(,"stream":true,"stream_options":{"include_usage":true}})";
        const Answer s = call(*m_sim, "POST", "/v1/chat/completions", streamed);
        QCOMPARE(s.status, 200);
        QCOMPARE(s.header("content-type"), QByteArray("text/event-stream"));
        const auto events = s.events();
        QCOMPARE(events.last().second, QByteArray("[DONE]"));
        QString text;
        for (const auto &e : events.first(events.size() - 1))
            text += QJsonDocument::fromJson(e.second)
                        .object()
                        .value("choices")
                        .toArray()
                        .first()
                        .toObject()
                        .value("delta")
                        .toObject()
                        .value("content")
                        .toString();
        QCOMPARE(text, Simulator::completionText(12));
        const QJsonObject last = QJsonDocument::fromJson(events[events.size() - 2].second).object();
        QCOMPARE(last.value("usage").toObject().value("prompt_tokens").toInteger(), tokens(11));
    }

    void responses()
    {
        // 12 characters of input as a string; then as items (13 + 5 characters).
        Answer a = call(*m_sim, "POST", "/v1/responses",
                        R"({"model":"gpt-4o","input":"hello relay!","max_output_tokens":5})");
        QCOMPARE(a.status, 200);
        QJsonObject r = a.json();
        QVERIFY(r.value("id").toString().startsWith("resp_"));
        QCOMPARE(r.value("object").toString(), QStringLiteral("response"));
        QCOMPARE(r.value("status").toString(), QStringLiteral("completed"));
        QCOMPARE(r.value("model").toString(), QStringLiteral("gpt-4o"));
        QVERIFY(r.value("created_at").toInteger() > 0);
        const QJsonObject item = r.value("output").toArray().first().toObject();
        QCOMPARE(item.value("type").toString(), QStringLiteral("message"));
        QVERIFY(item.value("id").toString().startsWith("msg_"));
        QCOMPARE(item.value("role").toString(), QStringLiteral("assistant"));
        QCOMPARE(item.value("status").toString(), QStringLiteral("completed"));
        const QJsonObject part = item.value("content").toArray().first().toObject();
        QCOMPARE(part.value("type").toString(), QStringLiteral("output_text"));
        QCOMPARE(part.value("text").toString(), Simulator::completionText(5));
        QVERIFY(part.value("annotations").isArray());
        QJsonObject usage = r.value("usage").toObject();
        QCOMPARE(usage.value("input_tokens").toInteger(), tokens(12));
        QCOMPARE(usage.value("output_tokens").toInteger(), 5);
        QCOMPARE(usage.value("total_tokens").toInteger(), tokens(12) + 5);

        a = call(*m_sim, "POST", "/v1/responses",
                 R"({"model":"gpt-4o","input":[{"role":"user","content":"hello, relay!"},)"
                 R"({"role":"user","content":[{"type":"input_text","text":"again"}]}]})");
        QCOMPARE(a.status, 200);
        QCOMPARE(a.json().value("usage").toObject().value("input_tokens").toInteger(), tokens(18));
    }

    void responsesStream()
    {
        const Answer a = call(*m_sim, "POST", "/v1/responses",
                              R"({"model":"gpt-4o","input":"hello relay!","stream":true})");
        QCOMPARE(a.status, 200);
        const auto events = jsonEvents(a);
        QList<QByteArray> names;
        QString text;
        for (qsizetype i = 0; i < events.size(); ++i) {
            const QJsonObject &data = events[i].second;
            QCOMPARE(data.value("type").toString().toUtf8(), events[i].first);
            QCOMPARE(data.value("sequence_number").toInteger(), i);
            if (names.isEmpty() || names.last() != events[i].first)
                names.append(events[i].first);
            if (events[i].first == "response.output_text.delta")
                text += data.value("delta").toString();
        }
        const QList<QByteArray> expected{
            "response.created",           "response.in_progress",
            "response.output_item.added", "response.content_part.added",
            "response.output_text.delta", "response.output_text.done",
            "response.content_part.done", "response.output_item.done",
            "response.completed"};
        QCOMPARE(names, expected);
        QCOMPARE(text, Simulator::completionText(12));
        // One delta per word.
        QCOMPARE(events.size(), qsizetype(expected.size() - 1 + 12));
        const QJsonObject done = events.last().second.value("response").toObject();
        QCOMPARE(done.value("status").toString(), QStringLiteral("completed"));
        const QJsonObject usage = done.value("usage").toObject();
        QCOMPARE(usage.value("input_tokens").toInteger(), tokens(12));
        QCOMPARE(usage.value("output_tokens").toInteger(), 12);
        QCOMPARE(usage.value("total_tokens").toInteger(), tokens(12) + 12);
        QCOMPARE(events.first().second.value("response").toObject().value("id"), done.value("id"));
    }

    void previousResponseIdStaysWithItsSimulator()
    {
        Simulator other;
        QVERIFY(other.start());
        const QString id =
            call(*m_sim, "POST", "/v1/responses", R"({"model":"gpt-4o","input":"first"})")
                .json()
                .value("id")
                .toString();
        QVERIFY(!id.isEmpty());
        const QByteArray next = compact(
            QJsonObject{{"model", "gpt-4o"}, {"input", "second"}, {"previous_response_id", id}});
        const Answer here = call(*m_sim, "POST", "/v1/responses", next);
        QCOMPARE(here.status, 200);
        QCOMPARE(here.json().value("previous_response_id").toString(), id);
        const Answer there = call(other, "POST", "/v1/responses", next);
        QCOMPARE(there.status, 404);
        const QJsonObject expected{
            {"error", QJsonObject{{"message", "Previous response with id '" + id + "' not found."},
                                  {"type", "invalid_request_error"},
                                  {"param", "previous_response_id"},
                                  {"code", "previous_response_not_found"}}}};
        QCOMPARE(there.json(), expected);
        // A response not stored cannot be continued.
        const QString unstored =
            call(*m_sim, "POST", "/v1/responses", R"({"model":"gpt-4o","input":"x","store":false})")
                .json()
                .value("id")
                .toString();
        QCOMPARE(
            call(*m_sim, "POST", "/v1/responses",
                 compact({{"model", "gpt-4o"}, {"input", "y"}, {"previous_response_id", unstored}}))
                .status,
            404);
    }

    void completions()
    {
        Answer a = call(*m_sim, "POST", "/v1/completions",
                        R"({"model":"gpt-3.5-turbo-instruct","prompt":"Say this is a test"})");
        QCOMPARE(a.status, 200);
        QJsonObject r = a.json();
        QVERIFY(r.value("id").toString().startsWith("cmpl-"));
        QCOMPARE(r.value("object").toString(), QStringLiteral("text_completion"));
        QVERIFY(r.value("created").toInteger() > 0);
        QJsonObject choice = r.value("choices").toArray().first().toObject();
        QCOMPARE(choice.value("text").toString(), Simulator::completionText(12));
        QCOMPARE(choice.value("index").toInt(), 0);
        QVERIFY(choice.value("logprobs").isNull());
        QCOMPARE(choice.value("finish_reason").toString(), QStringLiteral("stop"));
        QCOMPARE(r.value("usage").toObject().value("prompt_tokens").toInteger(), tokens(18));
        QCOMPARE(r.value("usage").toObject().value("total_tokens").toInteger(), tokens(18) + 12);

        a = call(*m_sim, "POST", "/v1/completions",
                 R"({"model":"m","prompt":"Say this is a test","max_tokens":4})");
        choice = a.json().value("choices").toArray().first().toObject();
        QCOMPARE(choice.value("finish_reason").toString(), QStringLiteral("length"));
        QCOMPARE(a.json().value("usage").toObject().value("completion_tokens").toInteger(), 4);
    }

    void completionsStream()
    {
        const Answer a = call(*m_sim, "POST", "/v1/completions",
                              R"({"model":"m","prompt":"Say this is a test","stream":true,)"
                              R"("stream_options":{"include_usage":true}})");
        QCOMPARE(a.status, 200);
        const auto events = a.events();
        QCOMPARE(events.last().second, QByteArray("[DONE]"));
        QString text;
        QString finish;
        for (const auto &e : events.first(events.size() - 2)) {
            const QJsonObject chunk = QJsonDocument::fromJson(e.second).object();
            QCOMPARE(chunk.value("object").toString(), QStringLiteral("text_completion"));
            const QJsonObject choice = chunk.value("choices").toArray().first().toObject();
            QCOMPARE(choice.value("index").toInt(), 0);
            text += choice.value("text").toString();
            if (choice.value("finish_reason").isString())
                finish = choice.value("finish_reason").toString();
        }
        QCOMPARE(text, Simulator::completionText(12));
        QCOMPARE(finish, QStringLiteral("stop"));
        const QJsonObject usageChunk =
            QJsonDocument::fromJson(events[events.size() - 2].second).object();
        QVERIFY(usageChunk.value("choices").toArray().isEmpty());
        QCOMPARE(usageChunk.value("usage").toObject().value("prompt_tokens").toInteger(),
                 tokens(18));
        QCOMPARE(usageChunk.value("usage").toObject().value("completion_tokens").toInteger(), 12);

        // Without include_usage: no usage chunk.
        const Answer plain =
            call(*m_sim, "POST", "/v1/completions", R"({"model":"m","prompt":"x","stream":true})");
        QVERIFY(!plain.body.contains("\"usage\""));
        QCOMPARE(plain.events().last().second, QByteArray("[DONE]"));
    }

    void moderations()
    {
        Answer a = call(*m_sim, "POST", "/v1/moderations",
                        R"({"model":"omni-moderation-latest","input":"a kind word"})");
        QCOMPARE(a.status, 200);
        QJsonObject r = a.json();
        QVERIFY(r.value("id").toString().startsWith("modr-"));
        QCOMPARE(r.value("model").toString(), QStringLiteral("omni-moderation-latest"));
        QVERIFY(!r.contains("usage"));
        const QJsonObject result = r.value("results").toArray().first().toObject();
        QCOMPARE(result.value("flagged").toBool(true), false);
        QVERIFY(result.value("categories").toObject().contains("violence"));
        QVERIFY(result.value("category_scores").toObject().contains("violence"));
        a = call(*m_sim, "POST", "/v1/moderations", R"({"input":["one","two"]})");
        QCOMPARE(a.status, 200);
        QCOMPARE(a.json().value("results").toArray().size(), 2);
    }

    void countTokensEqualsMessagesInputTokens()
    {
        const QByteArray messages =
            R"({"model":"claude-haiku-4-5","max_tokens":20,"system":"Be brief, be kind.",)"
            R"("messages":[{"role":"user","content":"How many tokens is this?"},)"
            R"({"role":"assistant","content":[{"type":"text","text":"Some."}]},)"
            R"({"role":"user","content":"And now?"}]})";
        const Answer m = call(*m_sim, "POST", "/v1/messages", messages, kAnthropicHeaders);
        QCOMPARE(m.status, 200);
        const qint64 input = m.json().value("usage").toObject().value("input_tokens").toInteger();
        QCOMPARE(input, tokens(18 + 24 + 5 + 8));
        QJsonObject count = QJsonDocument::fromJson(messages).object();
        count.remove("max_tokens");
        const Answer c =
            call(*m_sim, "POST", "/v1/messages/count_tokens", compact(count), kAnthropicHeaders);
        QCOMPARE(c.status, 200);
        QCOMPARE(c.json(), QJsonObject({{"input_tokens", input}}));
    }

    void promptCacheTokens()
    {
        // Without cache_control: both cache counts present, 0.
        QJsonObject usage =
            call(
                *m_sim, "POST", "/v1/messages",
                R"({"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]})",
                kAnthropicHeaders)
                .json()
                .value("usage")
                .toObject();
        QCOMPARE(usage.value("cache_creation_input_tokens").toInteger(-1), 0);
        QCOMPARE(usage.value("cache_read_input_tokens").toInteger(-1), 0);
        QCOMPARE(usage.value("input_tokens").toInteger(), 1);

        // The first request writes the prefix to the cache; the next reads it.
        usage = call(*m_sim, "POST", "/v1/messages", kCachedBody, kAnthropicHeaders)
                    .json()
                    .value("usage")
                    .toObject();
        const qint64 cached = tokens(kCachedChars);
        const qint64 rest = tokens(kCachedChars + kQuestionChars) - cached;
        QCOMPARE(usage.value("cache_creation_input_tokens").toInteger(), cached);
        QCOMPARE(usage.value("cache_read_input_tokens").toInteger(), 0);
        QCOMPARE(usage.value("input_tokens").toInteger(), rest);
        usage = call(*m_sim, "POST", "/v1/messages", kCachedBody, kAnthropicHeaders)
                    .json()
                    .value("usage")
                    .toObject();
        QCOMPARE(usage.value("cache_creation_input_tokens").toInteger(), 0);
        QCOMPARE(usage.value("cache_read_input_tokens").toInteger(), cached);
        QCOMPARE(usage.value("input_tokens").toInteger(), rest);

        // A stream reports it in message_start.
        QByteArray streamed = kCachedBody;
        streamed.chop(1);
        streamed += R"(,"stream":true})";
        const Answer s = call(*m_sim, "POST", "/v1/messages", streamed, kAnthropicHeaders);
        const auto events = jsonEvents(s);
        QCOMPARE(events.first().first, QByteArray("message_start"));
        usage = events.first().second.value("message").toObject().value("usage").toObject();
        QCOMPARE(usage.value("cache_read_input_tokens").toInteger(), cached);
        QCOMPARE(usage.value("cache_creation_input_tokens").toInteger(), 0);
        QCOMPARE(usage.value("input_tokens").toInteger(), rest);

        // Another simulator has its own cache; a different prefix is written anew.
        Simulator other;
        QVERIFY(other.start());
        usage = call(other, "POST", "/v1/messages", kCachedBody, kAnthropicHeaders)
                    .json()
                    .value("usage")
                    .toObject();
        QCOMPARE(usage.value("cache_creation_input_tokens").toInteger(), cached);
        QByteArray changed = kCachedBody;
        changed.replace("careful", "cheerful");
        usage = call(*m_sim, "POST", "/v1/messages", changed, kAnthropicHeaders)
                    .json()
                    .value("usage")
                    .toObject();
        QCOMPARE(usage.value("cache_creation_input_tokens").toInteger(), tokens(kCachedChars + 1));
    }

    void headersAndBodyInSeparateWrites()
    {
        RawClient c(m_sim->port());
        const QByteArray body = R"({"model":"gpt-4o","input":"split"})";
        c.write("POST /v1/responses HTTP/1.1\r\nhost: sim\r\ncontent-length: " +
                QByteArray::number(body.size()) + "\r\n\r\n");
        QTest::qWait(50);
        c.write(body.left(7));
        QTest::qWait(50);
        c.write(body.mid(7));
        Answer a;
        QVERIFY(c.read(&a));
        QCOMPARE(a.status, 200);
        QCOMPARE(a.json().value("usage").toObject().value("input_tokens").toInteger(), tokens(5));
    }

    void chunkedRequestBody()
    {
        RawClient c(m_sim->port());
        c.write("POST /v1/completions HTTP/1.1\r\nhost: sim\r\ntransfer-encoding: chunked\r\n\r\n"
                "10\r\n{\"model\":\"m\",\"pr\r\n");
        QTest::qWait(50);
        c.write("f;ext=1\r\nompt\":\"abcdefgh\r\n3\r\n\"}\n\r\n0\r\n\r\n");
        Answer a;
        QVERIFY(c.read(&a));
        QCOMPARE(a.status, 200);
        QCOMPARE(a.json().value("usage").toObject().value("prompt_tokens").toInteger(), tokens(8));
        QCOMPARE(m_sim->received().last().body,
                 QByteArray("{\"model\":\"m\",\"prompt\":\"abcdefgh\"}\n"));
    }

    void pipelinedRequests()
    {
        m_sim->setLatencyMs(30);
        RawClient c(m_sim->port());
        const QByteArray first = R"({"model":"m","prompt":"one","max_tokens":1})";
        const QByteArray second = R"({"model":"m","input":"two","stream":true})";
        c.write("POST /v1/completions HTTP/1.1\r\nhost: sim\r\ncontent-length: " +
                QByteArray::number(first.size()) + "\r\n\r\n" + first +
                "POST /v1/responses HTTP/1.1\r\nhost: sim\r\ncontent-length: " +
                QByteArray::number(second.size()) + "\r\n\r\n" + second);
        Answer a;
        QVERIFY(c.read(&a));
        QCOMPARE(a.status, 200);
        QCOMPARE(a.json().value("object").toString(), QStringLiteral("text_completion"));
        Answer b;
        QVERIFY(c.read(&b));
        QCOMPARE(b.status, 200);
        QCOMPARE(jsonEvents(b).last().first, QByteArray("response.completed"));
        // And the connection is still open for a third.
        c.send("GET", "/v1/models");
        Answer models;
        QVERIFY(c.read(&models));
        QCOMPARE(models.status, 200);
        QCOMPARE(m_sim->stats().requests, 3);
    }

    void expectContinue()
    {
        RawClient c(m_sim->port());
        const QByteArray body = R"({"input":"wait for it"})";
        c.write("POST /v1/moderations HTTP/1.1\r\nhost: sim\r\nexpect: 100-continue\r\n"
                "content-length: " +
                QByteArray::number(body.size()) + "\r\n\r\n");
        QVERIFY(c.waitForBytes("HTTP/1.1 100 Continue\r\n\r\n"));
        QVERIFY(m_sim->received().isEmpty());
        c.write(body);
        Answer a;
        QVERIFY(c.read(&a)); // the 100 Continue skipped
        QCOMPARE(a.status, 200);
    }

    void faultsOnNewEndpoints()
    {
        m_sim->pushFault({SimFault::Status, 503, 7, 0});
        Answer a = call(*m_sim, "POST", "/v1/responses", R"({"model":"m","input":"x"})");
        QCOMPARE(a.status, 503);
        QCOMPARE(a.header("retry-after"), QByteArray("7"));
        QCOMPARE(a.json().value("error").toObject().value("type").toString(),
                 QStringLiteral("server_error"));

        m_sim->pushFault({SimFault::StreamError, 500, -1, 2});
        a = call(*m_sim, "POST", "/v1/responses", R"({"model":"m","input":"x","stream":true})");
        QCOMPARE(a.status, 200);
        auto events = jsonEvents(a);
        QCOMPARE(events.last().first, QByteArray("error"));
        QCOMPARE(events[events.size() - 2].first, QByteArray("response.output_text.delta"));
        QCOMPARE(events[events.size() - 3].first, QByteArray("response.output_text.delta"));

        m_sim->pushFault({SimFault::CutStream, 500, -1, 3});
        {
            RawClient c(m_sim->port());
            c.send("POST", "/v1/completions", R"({"model":"m","prompt":"x","stream":true})");
            QVERIFY(c.waitClosed());
        }

        m_sim->pushFault({SimFault::Status, 429, -1, 0});
        a = call(*m_sim, "POST", "/v1/messages/count_tokens",
                 R"({"model":"claude-haiku-4-5","messages":[{"role":"user","content":"x"}]})",
                 kAnthropicHeaders);
        QCOMPARE(a.status, 429);
        QCOMPARE(a.json().value("error").toObject().value("type").toString(),
                 QStringLiteral("rate_limit_error"));

        m_sim->pushFault({SimFault::Reset, 500, -1, 0});
        {
            RawClient c(m_sim->port());
            c.send("POST", "/v1/moderations", R"({"input":"x"})");
            QVERIFY(c.waitClosed());
        }
        QCOMPARE(m_sim->stats().completed, m_sim->stats().requests);
    }

    void latencyAndClientGone()
    {
        m_sim->setLatencyMs(150);
        QElapsedTimer timer;
        timer.start();
        QCOMPARE(call(*m_sim, "GET", "/v1/models/gpt-4o").status, 200);
        QVERIFY(timer.elapsed() >= 140);

        m_sim->setLatencyMs(0);
        m_sim->pushFault({SimFault::Hang, 500, -1, 0});
        {
            RawClient c(m_sim->port());
            c.send("POST", "/v1/completions", R"({"model":"m","prompt":"x"})");
            QTRY_COMPARE(m_sim->stats().inFlight, 1);
            c.close();
        }
        QTRY_COMPARE(m_sim->stats().cancelledByClient, 1);
        QCOMPARE(m_sim->stats().inFlight, 0);
    }

    void workerThreads()
    {
        SimulatorOptions options;
        options.workers = 3;
        options.latencyMs = 100;
        Simulator sim(options);
        QVERIFY(sim.start());
        std::vector<std::unique_ptr<RawClient>> clients;
        for (int i = 0; i < 6; ++i) {
            clients.push_back(std::make_unique<RawClient>(sim.port()));
            clients.back()->send("POST", "/v1/responses", R"({"model":"m","input":"x"})");
        }
        for (auto &c : clients) {
            Answer a;
            QVERIFY(c->read(&a));
            QCOMPARE(a.status, 200);
        }
        QCOMPARE(sim.stats().peakInFlight, 6);
    }

    void malformedRequest()
    {
        RawClient c(m_sim->port());
        c.write("NOT HTTP AT ALL\r\n\r\n");
        Answer a;
        QVERIFY(c.read(&a));
        QCOMPARE(a.status, 400);
        QVERIFY(c.waitClosed());
    }

private:
    std::unique_ptr<Simulator> m_sim;
};

QTEST_GUILESS_MAIN(TestSimulator)
#include "tst_simulator.moc"

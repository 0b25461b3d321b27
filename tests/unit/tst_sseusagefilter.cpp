#include "metering/SseUsageFilter.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

using relay::SseUsageFilter;

namespace {

QByteArray chunk(const QByteArray &choices, const QByteArray &usage = "null")
{
    return R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,)"
           R"("model":"gpt-4o-mini-2024-07-18","choices":)" +
           choices + R"(,"usage":)" + usage + "}";
}

QByteArray delta(const QByteArray &d, const QByteArray &finish = "null")
{
    return R"([{"index":0,"delta":)" + d + R"(,"logprobs":null,"finish_reason":)" + finish + "}]";
}

// The events of an OpenAI stream asked with include_usage, each with its "\n\n".
struct Stream
{
    QList<QByteArray> events;
    qsizetype usageIndex = -1;

    QByteArray all(const QByteArray &newline = "\n") const { return join(-1, newline); }
    // What the client should see when the usage chunk is not forwarded.
    QByteArray withoutUsage(const QByteArray &newline = "\n") const
    {
        return join(usageIndex, newline);
    }

private:
    QByteArray join(qsizetype skip, const QByteArray &newline) const
    {
        QByteArray out;
        for (qsizetype i = 0; i < events.size(); ++i)
            if (i != skip)
                out += QByteArray(events[i]).replace("\n", newline);
        return out;
    }
};

Stream openAiStream()
{
    Stream s;
    auto add = [&s](const QByteArray &data) { s.events.append("data: " + data + "\n\n"); };
    add(chunk(delta(R"({"role":"assistant","content":""})")));
    s.events.append(": keep-alive comment\n\n");
    add(chunk(delta(R"({"content":"h\u00e9llo"})")));
    add(chunk(delta(R"({"content":" 世界"})")));
    add(chunk(delta(R"({"content":"!😀"})")));
    add(chunk(delta("{}", R"("stop")")));
    s.usageIndex = s.events.size();
    add(chunk("[]", R"({"prompt_tokens":12,"completion_tokens":7,"total_tokens":19})"));
    add("[DONE]");
    return s;
}

// "héllo" + " 世界" + "!😀": 5 + 3 + 2 Unicode characters.
constexpr qint64 kContentChars = 10;

// Feeds `input` cut at `cuts` (ascending offsets) and returns everything forwarded.
QByteArray feedCut(SseUsageFilter &f, const QByteArray &input, const QList<qsizetype> &cuts)
{
    QByteArray out;
    qsizetype from = 0;
    for (qsizetype cut : cuts) {
        out += f.feed(QByteArrayView(input).sliced(from, cut - from));
        from = cut;
    }
    out += f.feed(QByteArrayView(input).sliced(from));
    out += f.finish();
    return out;
}

void checkUsage(const SseUsageFilter &f)
{
    QVERIFY(f.hasUsage());
    QCOMPARE(f.promptTokens(), 12);
    QCOMPARE(f.completionTokens(), 7);
    QCOMPARE(f.contentChars(), kContentChars);
    QCOMPARE(f.model(), QStringLiteral("gpt-4o-mini-2024-07-18"));
    QVERIFY(f.sawDone());
}

// The current data row of wholeStream_data(): the stream to feed and what must come out.
struct Case
{
    bool forwardUsage = false;
    QByteArray input;
    QByteArray expected;
};

Case currentCase()
{
    QFETCH(bool, forwardUsage);
    QFETCH(QByteArray, newline);
    const Stream s = openAiStream();
    return {forwardUsage, s.all(newline), forwardUsage ? s.all(newline) : s.withoutUsage(newline)};
}

} // namespace

class TestSseUsageFilter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void wholeStream_data()
    {
        QTest::addColumn<bool>("forwardUsage");
        QTest::addColumn<QByteArray>("newline");
        QTest::newRow("drop usage, LF") << false << QByteArray("\n");
        QTest::newRow("keep usage, LF") << true << QByteArray("\n");
        QTest::newRow("drop usage, CRLF") << false << QByteArray("\r\n");
        QTest::newRow("keep usage, CRLF") << true << QByteArray("\r\n");
    }
    void wholeStream()
    {
        const Case c = currentCase();
        SseUsageFilter f(c.forwardUsage);
        QCOMPARE(feedCut(f, c.input, {}), c.expected);
        checkUsage(f);
        QCOMPARE(f.eventsForwarded(), int(openAiStream().events.size()) - (c.forwardUsage ? 0 : 1));
    }

    void everySplitPoint_data() { wholeStream_data(); }
    void everySplitPoint()
    {
        const Case c = currentCase();
        for (qsizetype cut = 0; cut <= c.input.size(); ++cut) {
            SseUsageFilter f(c.forwardUsage);
            if (feedCut(f, c.input, {cut}) != c.expected)
                QFAIL(qPrintable(QStringLiteral("differs when cut at byte %1").arg(cut)));
            QCOMPARE(f.contentChars(), kContentChars);
            QCOMPARE(f.promptTokens(), 12);
        }
    }

    void byteByByte_data() { wholeStream_data(); }
    void byteByByte()
    {
        const Case c = currentCase();
        SseUsageFilter f(c.forwardUsage);
        QByteArray out;
        for (qsizetype i = 0; i < c.input.size(); ++i) {
            out += f.feed(QByteArrayView(c.input).sliced(i, 1));
            // Whole events leave as soon as they are complete; nothing half is sent.
            QVERIFY(c.expected.startsWith(out));
        }
        out += f.finish();
        QCOMPARE(out, c.expected);
        checkUsage(f);
    }

    void randomSplits()
    {
        const Stream s = openAiStream();
        const QByteArray input = s.all();
        QRandomGenerator rng(20240718);
        for (int round = 0; round < 300; ++round) {
            QList<qsizetype> cuts;
            for (int i = 0; i < 6; ++i)
                cuts.append(rng.bounded(qint64(input.size() + 1)));
            std::sort(cuts.begin(), cuts.end());
            SseUsageFilter f(false);
            QCOMPARE(feedCut(f, input, cuts), s.withoutUsage());
            checkUsage(f);
        }
    }

    void eventsLeaveAsSoonAsComplete()
    {
        const Stream s = openAiStream();
        SseUsageFilter f(false);
        QCOMPARE(f.feed(s.events[0]), s.events[0]);
        QCOMPARE(f.feed(s.events[1].left(5)), QByteArray());
        QCOMPARE(f.feed(s.events[1].mid(5) + s.events[2]), s.events[1] + s.events[2]);
        QCOMPARE(f.contentChars(), 5);
        QVERIFY(!f.hasUsage());
    }

    void usageNullIsNotUsage()
    {
        SseUsageFilter f(false);
        f.feed("data: " + chunk(delta(R"({"content":"abc"})")) + "\n\n");
        QVERIFY(!f.hasUsage());
        QCOMPARE(f.promptTokens(), 0);
        QCOMPARE(f.contentChars(), 3);
    }

    void usageWithChoicesIsForwarded()
    {
        // Some providers put usage on the last content chunk: its text must still reach the
        // client.
        const QByteArray e = "data: " +
                             chunk(delta(R"({"content":"end"})", R"("stop")"),
                                   R"({"prompt_tokens":3,"completion_tokens":1})") +
                             "\n\n";
        SseUsageFilter f(false);
        QCOMPARE(f.feed(e), e);
        QVERIFY(f.hasUsage());
        QCOMPARE(f.promptTokens(), 3);
        QCOMPARE(f.completionTokens(), 1);
    }

    void countsToolCallArguments()
    {
        // The arguments string is {"a": (5 characters). Not a raw string: moc misreads \" in one.
        SseUsageFilter f(true);
        f.feed(
            "data: " +
            chunk(delta(
                "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":\"}}]}")) +
            "\n\n");
        QCOMPARE(f.contentChars(), 5);
    }

    void finishUnterminatedContent()
    {
        const QByteArray data = chunk(delta(R"({"content":"世界"})"));
        SseUsageFilter f(false);
        QCOMPARE(f.feed("data: " + data), QByteArray());
        const QByteArray out = f.finish();
        QVERIFY(out.startsWith("data: " + data));
        QVERIFY(out.endsWith("\n\n"));
        QCOMPARE(f.contentChars(), 2);
        QCOMPARE(f.eventsForwarded(), 1);
        QVERIFY(f.finish().isEmpty());
    }

    void finishUnterminatedEventWithOneNewline()
    {
        // The stream was cut after the data line's own newline: the client still gets the
        // event, terminated.
        const QByteArray data = chunk(delta(R"({"content":"ab"})"));
        SseUsageFilter f(false);
        QCOMPARE(f.feed("data: " + data + "\n"), QByteArray());
        const QByteArray out = f.finish();
        QVERIFY(out.startsWith("data: " + data + "\n\n"));
        QVERIFY(out.mid(data.size() + 8).trimmed().isEmpty());
        QCOMPARE(f.contentChars(), 2);
    }

    void finishUnterminatedUsage()
    {
        SseUsageFilter dropping(false);
        dropping.feed("data: " + chunk("[]", R"({"prompt_tokens":4,"completion_tokens":2})"));
        QVERIFY(dropping.finish().isEmpty());
        QVERIFY(dropping.hasUsage());
        QCOMPARE(dropping.promptTokens(), 4);
        QCOMPARE(dropping.completionTokens(), 2);
    }

    void finishUnterminatedDone()
    {
        SseUsageFilter f(false);
        QVERIFY(f.feed("data: [DONE]").isEmpty());
        QVERIFY(!f.sawDone());
        QCOMPARE(f.finish(), QByteArray("data: [DONE]\n\n"));
        QVERIFY(f.sawDone());
    }

    void finishWithNothingPending()
    {
        SseUsageFilter f(false);
        QCOMPARE(f.feed("data: [DONE]\n\n"), QByteArray("data: [DONE]\n\n"));
        QVERIFY(f.finish().isEmpty());
        QCOMPARE(f.eventsForwarded(), 1);
    }

    void eventFraming()
    {
        const QByteArray json = R"({"error":{"message":"upstream failed","type":"server_error",)"
                                R"("param":null,"code":"upstream_error"}})";
        const QByteArray e = SseUsageFilter::event(json);
        QCOMPARE(e, "data: " + json + "\n\n");
        // A client reading the event gets the JSON back, and it passes a filter unchanged.
        SseUsageFilter f(false);
        QCOMPARE(f.feed(e), e);
        QVERIFY(f.finish().isEmpty());
        QVERIFY(QJsonDocument::fromJson(e.mid(6).trimmed()).object().contains("error"));
    }

    void multiLineData()
    {
        const QByteArray e = "event: message\ndata: {\"choices\":[{\"delta\":\ndata: "
                             "{\"content\":\"xyz\"}}]}\n\n";
        SseUsageFilter f(false);
        QCOMPARE(f.feed(e), e);
        QCOMPARE(f.contentChars(), 3);
    }
};

QTEST_GUILESS_MAIN(TestSseUsageFilter)
#include "tst_sseusagefilter.moc"

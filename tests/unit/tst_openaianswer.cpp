#include "metering/OpenAIAnswer.h"

#include <QTest>

using relay::OpenAIAnswer;

// The answer reading on the data path (simdjson on-demand) reads what the QJsonDocument reading
// reads, on every answer, well-formed or not; without the id asked for, it reads the same but
// the id.
class TestOpenAIAnswer : public QObject
{
    Q_OBJECT

private:
    static void compareAnswers(const OpenAIAnswer &fast, const OpenAIAnswer &dom, bool withId)
    {
        QCOMPARE(fast.hasUsage, dom.hasUsage);
        QCOMPARE(fast.usage.prompt, dom.usage.prompt);
        QCOMPARE(fast.usage.completion, dom.usage.completion);
        QCOMPARE(fast.model, dom.model);
        QCOMPARE(fast.id, withId ? dom.id : QString());
    }

private Q_SLOTS:
    void sameAsTheDomReading_data()
    {
// moc misreads some of these literals
#ifndef Q_MOC_RUN
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<bool>("hasUsage");
        QTest::addColumn<qint64>("prompt");
        QTest::addColumn<QString>("id");
        const QByteArray choices =
            "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
            "\"h\\u00e9 \\\"x\\\"\"},"
            R"("logprobs":null,"finish_reason":"stop"}])";
        QTest::newRow("chat") << QByteArray(R"({"id":"chatcmpl-1","model":"gpt-4o-mini",)" +
                                            choices +
                                            R"(,"usage":{"prompt_tokens":14,)"
                                            R"("completion_tokens":6,"total_tokens":20}})")
                              << true << qint64(14) << QStringLiteral("chatcmpl-1");
        QTest::newRow("responses")
            << QByteArray(R"({"id":"resp_1","object":"response","model":"gpt-4o",)"
                          R"("usage":{"input_tokens":9,"output_tokens":3,"total_tokens":12}})")
            << true << qint64(9) << QStringLiteral("resp_1");
        QTest::newRow("no usage") << QByteArray(R"({"id":"x","model":"m",)" + choices + "}")
                                  << false << qint64(0) << QStringLiteral("x");
        QTest::newRow("usage null") << QByteArray(R"({"id":"x","usage":null})") << false
                                    << qint64(0) << QStringLiteral("x");
        QTest::newRow("id not a string")
            << QByteArray(R"({"id":{"a":[1,2]},"usage":{"prompt_tokens":2}})") << true << qint64(2)
            << QString();
        QTest::newRow("id escaped") << QByteArray("{\"id\":\"a\\u0062\\n\",\"usage\":{}}") << true
                                    << qint64(0) << QStringLiteral("ab\n");
        QTest::newRow("id given twice")
            << QByteArray(R"({"id":"first","id":"second","usage":{"prompt_tokens":1}})") << true
            << qint64(1) << QStringLiteral("second");
        QTest::newRow("count with an exponent")
            << QByteArray(R"({"id":"e","usage":{"prompt_tokens":1e2}})") << true << qint64(100)
            << QStringLiteral("e");
        QTest::newRow("exponent elsewhere")
            << QByteArray(R"({"id":"e","x":[1E3,-0.5e-2],"usage":{"prompt_tokens":4}})") << true
            << qint64(4) << QStringLiteral("e");
        QTest::newRow("bad JSON after the usage")
            << QByteArray(R"({"id":"b","usage":{"prompt_tokens":4},"x":[tru]})") << false
            << qint64(0) << QString();
        // An escape simdjson refuses and QJsonDocument reads (as the letter): left to the DOM.
        QTest::newRow("escape only QJsonDocument reads")
            << QByteArray("{\"id\":\"b\\q\",\"usage\":{\"prompt_tokens\":4}}") << true << qint64(4)
            << QStringLiteral("bq");
        // Strings the reading only steps over (in choices, in members it does not read): one
        // with escapes is checked as strictly as one it reads, one without needs no unescaping.
        QTest::newRow("bad escape in a string stepped over")
            << QByteArray("{\"id\":\"s\",\"choices\":[{\"message\":{\"content\":\"a\\u12zz\"}}],"
                          "\"usage\":{\"prompt_tokens\":4}}")
            << false << qint64(0) << QString();
        QTest::newRow("bad escape in a member not read")
            << QByteArray("{\"id\":\"s\",\"x\":\"\\u00\",\"usage\":{\"prompt_tokens\":4}}") << false
            << qint64(0) << QString();
        QTest::newRow("good escapes in a string stepped over")
            << QByteArray("{\"id\":\"s\",\"x\":[\"t\\t \\\"q\\\" \\u00e9\\\\\",\"plain\"],"
                          "\"usage\":{\"prompt_tokens\":4}}")
            << true << qint64(4) << QStringLiteral("s");
        QTest::newRow("trailing bytes") << QByteArray(R"({"id":"t","usage":{"prompt_tokens":4}} x)")
                                        << false << qint64(0) << QString();
        QTest::newRow("not an object")
            << QByteArray(R"(["id","usage"])") << false << qint64(0) << QString();
        QTest::newRow("empty") << QByteArray() << false << qint64(0) << QString();
#endif
    }
    void sameAsTheDomReading()
    {
        QFETCH(QByteArray, body);
        QFETCH(bool, hasUsage);
        QFETCH(qint64, prompt);
        QFETCH(QString, id);
        const OpenAIAnswer dom = OpenAIAnswer::readWithDom(body);
        QCOMPARE(dom.hasUsage, hasUsage);
        QCOMPARE(dom.usage.prompt, prompt);
        QCOMPARE(dom.id, id);
        compareAnswers(OpenAIAnswer::read(body), dom, true);
        compareAnswers(OpenAIAnswer::read(body, false), dom, false);
    }
};

QTEST_GUILESS_MAIN(TestOpenAIAnswer)
#include "tst_openaianswer.moc"

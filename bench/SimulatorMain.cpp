// tenantrelay-sim: the simulated provider (OpenAI and Anthropic APIs) as a process of its own, for
// benchmarks and for trying the relay with curl or an OpenAI SDK without internet access.
#include "sim/Simulator.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

int main(int argc, char *argv[])
{
    qputenv("QT_NO_GLIB", QByteArray("1"));
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "A simulated provider on loopback with deterministic usage numbers, on one port.\n"
        "OpenAI: POST /v1/chat/completions, /v1/responses, /v1/completions (streaming or "
        "not), /v1/embeddings, /v1/moderations; GET /v1/models, /v1/models/{id}.\n"
        "Anthropic (x-api-key, anthropic-version): POST /v1/messages (streaming, tool use, "
        "prompt caching), /v1/messages/count_tokens; GET /v1/models, /v1/models/{id}."));
    parser.addHelpOption();
    const QCommandLineOption port(QStringLiteral("port"), QStringLiteral("port to listen on"),
                                  QStringLiteral("N"), QStringLiteral("9700"));
    const QCommandLineOption workers(
        QStringLiteral("workers"), QStringLiteral("threads serving connections (0: one per core)"),
        QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption latency(QStringLiteral("latency-ms"),
                                     QStringLiteral("delay before answering"), QStringLiteral("MS"),
                                     QStringLiteral("0"));
    const QCommandLineOption jitter(QStringLiteral("jitter-ms"), QStringLiteral("± on the delay"),
                                    QStringLiteral("MS"), QStringLiteral("0"));
    const QCommandLineOption chunk(QStringLiteral("chunk-ms"),
                                   QStringLiteral("delay between streamed chunks"),
                                   QStringLiteral("MS"), QStringLiteral("0"));
    const QCommandLineOption tokens(QStringLiteral("tokens"),
                                    QStringLiteral("completion tokens per answer"),
                                    QStringLiteral("N"), QStringLiteral("12"));
    parser.addOptions({port, workers, latency, jitter, chunk, tokens});
    parser.process(app);

    relay::SimulatorOptions options;
    options.port = quint16(parser.value(port).toUInt());
    options.workers = parser.value(workers).toInt();
    options.latencyMs = parser.value(latency).toInt();
    options.jitterMs = parser.value(jitter).toInt();
    options.chunkIntervalMs = parser.value(chunk).toInt();
    options.completionTokens = parser.value(tokens).toInt();
    relay::Simulator sim(options);
    QString error;
    if (!sim.start(&error)) {
        QTextStream(stderr) << "tenantrelay-sim: " << error << "\n";
        return 1;
    }
    QTextStream(stderr) << "tenantrelay-sim: serving " << sim.baseUrl() << " (OpenAI) and "
                        << sim.anthropicBaseUrl() << " (Anthropic)\n";
    return app.exec();
}

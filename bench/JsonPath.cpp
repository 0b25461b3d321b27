// The relay's JSON on the data path, old way (QJsonDocument) and new (simdjson on-demand, the
// client's bytes spliced): ns per 268-byte chat request read and rewritten for the upstream,
// per 700-byte answer's usage read, and per KiB of a long prompt (the agent's or RAG client's
// 64 KiB of context, a quarter of it in two- and three-byte characters). Prints numbers; run:
// build/bench/json-path
#include "ingress/RequestBody.h"
#include "metering/OpenAIAnswer.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

using namespace relay;

namespace {

template <typename F> double nsPer(int rounds, F &&f)
{
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < rounds; ++i)
        f();
    return double(t.nsecsElapsed()) / rounds;
}

} // namespace

int main()
{
    const QByteArray request =
        R"({"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful )"
        R"(assistant."},{"role":"user","content":"Write a haiku about the sea and the )"
        R"(lighthouse keeper who watches it every night."}],"temperature":0.7,"max_tokens":)"
        R"(128,"stream":false,"user":"tenant-42-user-7","n":1,"top_p":1})";
    QByteArray answer =
        R"({"id":"chatcmpl-9x2Ab3Cd4Ef5Gh6Ij7Kl8Mn9Op","object":"chat.completion","created":)"
        R"(1733400000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":)"
        R"("assistant","content":"Waves fold into night,\nthe keeper's lamp turns and turns —\n)"
        R"(salt wind keeps the time. A second verse follows the first, quieter, as the tide )"
        R"(goes out and the gulls settle on the rocks below the light.","refusal":null},)"
        R"("logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":38,)"
        R"("completion_tokens":52,"total_tokens":90,"prompt_tokens_details":{"cached_tokens":0,)"
        R"("audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,)"
        R"("accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":)"
        R"("default","system_fingerprint":"fp_0ba0d124f1"})";
    const int rounds = 200000;
    qint64 sink = 0;
    const QString model = QStringLiteral("gpt-4o-mini-2024-07-18");
    const auto run = [&](auto &&read, int n) {
        nsPer(n / 10, read); // warm-up
        double best = 1e18;
        for (int i = 0; i < 3; ++i)
            best = std::min(best, nsPer(n, read));
        return best;
    };
    QByteArray error;
    const double requestOld = run(
        [&] {
            const auto r = parseRequestBodyWithDom(Endpoint::Chat, request, &error);
            sink += buildUpstreamBody(*r, model).size();
        },
        rounds);
    const double requestNew = run(
        [&] {
            const auto r = parseRequestBody(Endpoint::Chat, request, &error);
            sink += buildUpstreamBody(*r, model).size();
        },
        rounds);
    // A long prompt: 64 KiB of text, Latin and Cyrillic and CJK, escapes here and there.
    QByteArray context;
    while (context.size() < 64 * 1024)
        context += "The keeper\u2019s log, entry " + QByteArray::number(context.size()) +
                   ": \"calm\". Море спокойно. 灯台は静かだ. ";
    const QByteArray longRequest = R"({"model":"gpt-4o-mini","messages":[{"role":"system",)"
                                   R"("content":")" +
                                   context + R"("},{"role":"user","content":"Summarise."}]})";
    const double longNew = run(
        [&] {
            const auto r = parseRequestBody(Endpoint::Chat, longRequest, &error);
            sink += r->promptChars;
        },
        2000);
    const double answerOld =
        run([&] { sink += OpenAIAnswer::readWithDom(answer).usage.prompt; }, rounds);
    const double answerNew = run([&] { sink += OpenAIAnswer::read(answer).usage.prompt; }, rounds);
    std::printf("request %lld bytes, read + upstream body: QJsonDocument %.0f ns, on-demand + "
                "splice %.0f ns (%.1fx)\n",
                qlonglong(request.size()), requestOld, requestNew, requestOld / requestNew);
    std::printf("answer %lld bytes, usage/model/id read: QJsonDocument %.0f ns, on-demand %.0f ns "
                "(%.1fx)\n",
                qlonglong(answer.size()), answerOld, answerNew, answerOld / answerNew);
    std::printf("long prompt %lld bytes, read (fields and prompt characters): on-demand %.0f ns, "
                "%.0f ns per KiB\n",
                qlonglong(longRequest.size()), longNew, longNew / (longRequest.size() / 1024.0));
    return sink == 42 ? 1 : 0;
}

#pragma once

#include "core/Tokens.h"

#include <QByteArrayView>
#include <QString>

namespace relay {

// What the relay reads of a whole OpenAI-dialect answer (chat, completions, embeddings,
// Responses): the usage, the model and the id. Chat, completions and embeddings name the counts
// prompt_tokens / completion_tokens, Responses input_tokens / output_tokens; OpenAI's cached
// prompt tokens stay among the prompt tokens, at the input price.
struct OpenAIAnswer
{
    bool hasUsage = false;
    TokenUsage usage;
    QString model;
    QString id;

    // Reads only these fields (simdjson on-demand, the rest validated, not built); what it
    // cannot decide exactly as readWithDom would, it leaves to readWithDom. Not valid JSON, or
    // not an object: nothing read. Without `wantId` the id is validated but not converted (only
    // Responses answers use it): `id` stays empty.
    static OpenAIAnswer read(QByteArrayView body, bool wantId = true);
    // The same through QJsonDocument.
    static OpenAIAnswer readWithDom(QByteArrayView body);
};

} // namespace relay

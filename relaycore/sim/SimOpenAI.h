#pragma once

#include "SimAnswer.h"

namespace relay::sim {

// The simulated provider's OpenAI API: GET /v1/models and /v1/models/{id}; POST
// /v1/chat/completions, /v1/embeddings, /v1/responses, /v1/completions and /v1/moderations,
// streaming where OpenAI streams. Any model name is served; /v1/models lists a few.

// The answer to a request on an OpenAI path (the key already checked); 404 unknown_url for
// other paths.
Answer answerOpenAI(const Request &request, const Context &context);

// {"error":{"message","type","param","code"}}; an empty param or code is null.
QByteArray openAIError(const QByteArray &message, const QByteArray &type,
                       const QByteArray &code = {}, const QByteArray &param = {});

} // namespace relay::sim

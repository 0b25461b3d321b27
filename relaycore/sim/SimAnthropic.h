#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace relay::sim {

// The simulated provider's Anthropic Messages API shapes (requests it accepts, answers, events
// and errors), kept apart from its request flow in SimulatorHandler.

// What the simulator needs from a POST /v1/messages body.
struct MessagesRequest
{
    QString model;
    qint64 maxTokens = 0;
    bool stream = false;
    qint64 promptChars = 0; // system text, text blocks and tool results
    QString toolName;       // set when tool_choice asks for a tool (type tool, or any)
};

// The request, or nullopt and *error (the message of a 400 invalid_request_error).
std::optional<MessagesRequest> parseMessagesRequest(const QByteArray &body, QByteArray *error);

// {"type":"error","error":{"type","message"}} with the error type Anthropic uses for `status`.
QByteArray errorBody(int status, const QByteArray &message);

// GET /v1/models in Anthropic's list shape.
QByteArray modelsList();

// The input the simulator's tool call carries, and its JSON in the pieces a stream sends.
QJsonObject toolInput();
QStringList toolInputPieces();

// A whole message (non-stream answer); `content` is its content blocks.
QJsonObject message(const QString &id, const QString &model, const QJsonArray &content,
                    const QJsonValue &stopReason, qint64 inputTokens, qint64 outputTokens);

// One SSE event as the Messages API sends it: "event: TYPE\ndata: JSON\n\n" (TYPE from JSON).
QByteArray event(const QJsonObject &json);

} // namespace relay::sim

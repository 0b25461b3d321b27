#pragma once

#include "SimHttp.h"

#include <QByteArray>
#include <QJsonObject>
#include <QSet>
#include <QString>

#include <memory>
#include <mutex>

namespace relay::sim {

// What both of the simulated provider's APIs share: the answer to one request (a whole body or
// a stream the request flow paces), token counting and the simulator's memory.

// A streamed answer as a series of SSE payloads; SimulatorHandler paces the pieces and applies
// the scripted stream faults.
class Stream
{
public:
    virtual ~Stream() = default;
    // The events before the first content piece.
    virtual QByteArray begin() = 0;
    virtual int pieceCount() const = 0;
    // The event that carries content piece `i` (a word of text, or a piece of a tool's JSON).
    virtual QByteArray piece(int i) = 0;
    // The events after the last piece (usage, end of stream).
    virtual QByteArray end() = 0;
    // The event of a failure after the answer started.
    virtual QByteArray error(int status, const QByteArray &message) = 0;
    // A cut "before the first event" (SimFault::afterChunks < 0) comes before begin() (true) or
    // right after it (false).
    virtual bool cutsBeforeBegin() const { return true; }
};

// The answer to one request: `body` with `status`, or (status 200) `stream`.
struct Answer
{
    int status = 200;
    QByteArray body;
    Headers headers{{"content-type", "application/json"}};
    std::unique_ptr<Stream> stream;
};

Answer jsonAnswer(int status, const QByteArray &body);
Answer jsonAnswer(const QJsonObject &body);

// Keys the simulator remembers (created response ids, cached prompt prefixes): thread-safe and
// bounded (it forgets everything when full).
class Memory
{
public:
    // True when `key` was not known before.
    bool insert(const QByteArray &key);
    bool contains(const QByteArray &key) const;

private:
    mutable std::mutex m_mutex;
    QSet<QByteArray> m_keys;
};

// What an answer depends on besides its request.
struct Context
{
    int completionTokens = 12;
    QByteArray expectedApiKey; // when set, other keys get 401
    Memory &responseIds;
    Memory &cachedPrefixes;
};

QByteArray json(const QJsonObject &o);
// "event: TYPE\ndata: JSON\n\n", TYPE from the JSON's "type".
QByteArray sseEvent(const QJsonObject &data);
// "data: JSON\n\n".
QByteArray sseData(const QJsonObject &data);
// ceil(chars / 4).
inline qint64 tokensFor(qint64 chars)
{
    return (chars + 3) / 4;
}
// Unicode characters of a string.
qint64 charCount(const QString &text);
// `prefix` and 24 random hex digits, unique across simulators and runs.
QString newId(const QString &prefix);
// The words of an answer of `tokens` tokens (one token a word).
QString completionText(int tokens);
// `text` as the pieces a stream sends: each word, with the space after it but for the last.
QStringList streamWords(const QString &text);
// What follows the last `marker` ("/models/") in a path, percent-decoded; empty without one.
QString pathTail(const QByteArray &path, QByteArrayView marker);

} // namespace relay::sim

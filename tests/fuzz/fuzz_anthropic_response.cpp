// An Anthropic upstream's whole answer turned into what the tenant gets, as a success and as
// the error statuses the relay sees; the first input byte picks the status.

#include "FuzzInput.h"
#include "core/Redact.h"
#include "upstream/AnthropicAdapter.h"

#include <QJsonDocument>

using namespace relay;

FUZZ_ENTRY
{
    if (size == 0)
        return 0;
    static constexpr int kStatuses[] = {200, 201, 400, 401, 403, 404, 413, 429, 500, 503, 529};
    const int picked = kStatuses[data[0] % std::size(kStatuses)];
    const QByteArray body = FUZZ_INPUT.sliced(1).toByteArray();
    for (const int given : {200, picked}) {
        int status = given;
        HttpHeaders headers{{"content-type", "text/plain"}, {"x-other", "1"}};
        const QByteArray reply = anthropic::reply(&status, &headers, body, 1700000000);
        fuzz::expect(headerValue(headers, "content-type") == "application/json",
                     "the answer is JSON");
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(reply, &parseError);
        fuzz::expect(parseError.error == QJsonParseError::NoError && doc.isObject(),
                     "the answer is a JSON object");
        fuzz::expect((status >= 200 && status < 300) !=
                         doc.object().contains(QLatin1String("error")),
                     "an error status carries an error object, a success none");
    }
    (void)anthropic::error(0, body);
    (void)redactKeys(body);
    return 0;
}

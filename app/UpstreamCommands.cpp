#include "CommandSpec.h"
#include "RecordOutput.h"

#include <QFile>

#include <cstdio>
#include <termios.h>
#include <unistd.h>

namespace relay::app {

namespace {

const QString kKeyEnv = QStringLiteral("--api-key-env");
const QString kKeyStdin = QStringLiteral("--api-key-stdin");

// The upstream key, read once: typed at a prompt without echo on a terminal, else the whole of
// stdin (a pipe or file), trimmed. Kept out of argv, where other users and shell history see it.
QString readSecret()
{
    QByteArray secret;
    if (::isatty(STDIN_FILENO)) {
        std::fputs("Upstream API key: ", stderr);
        std::fflush(stderr);
        termios saved{};
        const bool restore = ::tcgetattr(STDIN_FILENO, &saved) == 0;
        if (restore) {
            termios silent = saved;
            silent.c_lflag &= ~tcflag_t(ECHO);
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
        }
        char *line = nullptr;
        size_t size = 0;
        if (::getline(&line, &size, stdin) > 0)
            secret = QByteArray(line);
        std::free(line);
        if (restore)
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::fputs("\n", stderr);
    } else {
        QFile in;
        if (in.open(stdin, QIODevice::ReadOnly))
            secret = in.readAll();
    }
    return QString::fromUtf8(secret.trimmed());
}

QList<OptionSpec> settingOptions(bool adding)
{
    return {
        {QStringLiteral("--base-url"), QStringLiteral("URL"),
         QStringLiteral("as the provider's SDK writes it, e.g. https://api.openai.com/v1"), adding},
        {QStringLiteral("--kind"), QStringLiteral("KIND"),
         QStringLiteral("the provider's API: openai (default; any OpenAI-compatible server) or "
                        "anthropic (the Messages API; base URL https://api.anthropic.com)")},
        {kKeyEnv, QStringLiteral("VAR"),
         QStringLiteral("the relay reads the upstream key from its environment variable VAR")},
        {kKeyStdin,
         {},
         QStringLiteral("read the upstream key from stdin and store it in the database")},
        {QStringLiteral("--max-connections"), QStringLiteral("N"),
         QStringLiteral("requests in flight to this upstream at once (default 8)")},
        {QStringLiteral("--timeout-ms"), QStringLiteral("N"),
         QStringLiteral("wait for the upstream's first byte (default 60000)")},
        {QStringLiteral("--slow-ms"), QStringLiteral("N|none"),
         QStringLiteral("open the circuit when the p95 first-byte latency of the last 30 s "
                        "(at least 20 requests) is over N ms (default: none)")},
    };
}

bool readChanges(CommandContext &ctx, UpstreamChanges *changes)
{
    changes->baseUrl = ctx.value(QStringLiteral("--base-url"));
    changes->kind = ctx.value(QStringLiteral("--kind"));
    changes->apiKeyEnv = ctx.value(kKeyEnv);
    changes->enabled = ctx.enabled();
    if (!ctx.intValue(QStringLiteral("--max-connections"), &changes->maxConnections) ||
        !ctx.intValue(QStringLiteral("--timeout-ms"), &changes->timeoutMs) ||
        !ctx.limitValue(QStringLiteral("--slow-ms"), &changes->slowMs))
        return false;
    if (ctx.flag(kKeyStdin)) {
        const QString secret = readSecret();
        if (secret.isEmpty()) {
            ctx.usageError(QStringLiteral("%1 found no key on stdin").arg(kKeyStdin));
            return false;
        }
        changes->apiKey = secret;
    }
    return true;
}

int add(CommandContext &ctx)
{
    UpstreamChanges changes;
    if (!readChanges(ctx, &changes))
        return kExitUsage;
    return ctx.done(ctx.admin().addUpstream(ctx.positional(0), changes));
}

int set(CommandContext &ctx)
{
    UpstreamChanges changes;
    if (!readChanges(ctx, &changes))
        return kExitUsage;
    return ctx.done(ctx.admin().setUpstream(ctx.positional(0), changes));
}

int list(CommandContext &ctx)
{
    return RecordOutput::printList(ctx, ctx.admin().listUpstreams());
}

int remove(CommandContext &ctx)
{
    return ctx.done(ctx.admin().removeUpstream(ctx.positional(0)));
}

} // namespace

QList<CommandSpec> upstreamCommands()
{
    const QString upstream = QStringLiteral("upstream");
    const QStringList name{QStringLiteral("NAME")};
    const QList<OptionSpec> setOptions =
        settingOptions(false) + enableOptions(QStringLiteral("send requests to it again"),
                                              QStringLiteral("send no requests to it"));
    return {
        {upstream,
         QStringLiteral("add"),
         QStringLiteral("add a provider endpoint"),
         QStringLiteral("Adds an upstream: a provider endpoint the relay forwards requests to. "
                        "A model with no route is served by the first enabled upstream, in the "
                        "order added.\nNAME: 1-64 of A-Z a-z 0-9 . _ -. The upstream key is "
                        "never printed, logged or exported."),
         name,
         1,
         settingOptions(true),
         {{kKeyEnv, kKeyStdin}},
         add},
        {upstream,
         QStringLiteral("set"),
         QStringLiteral("change an upstream"),
         QStringLiteral("Changes an upstream. Giving one key source replaces the other."),
         name,
         1,
         setOptions,
         {{kKeyEnv, kKeyStdin}, enableChoice()},
         set},
        {upstream,
         QStringLiteral("list"),
         QStringLiteral("list the upstreams"),
         QStringLiteral("Lists the upstreams in the order they were added.\nJSON fields: name "
                        "kind base_url max_connections reserved enabled state timeout_ms "
                        "slow_ms api_key_env api_key_stored (the key itself is never shown).\n"
                        "state: the circuit breaker's state (closed, open or half-open) as the "
                        "running relay recorded it; unknown when no relay has reported for "
                        "10 s.\nreserved: "
                        "the slots dedicated and guaranteed tenants hold on it. Reservations "
                        "never take an upstream's last slot: where they add up to its "
                        "max_connections or more, each is scaled by (max_connections - 1) / total "
                        "and rounded down."),
         {},
         0,
         {jsonOption()},
         {},
         list},
        {upstream,
         QStringLiteral("remove"),
         QStringLiteral("remove an upstream"),
         QStringLiteral("Removes an upstream. Routes that name it must be changed or removed "
                        "first."),
         name,
         1,
         {},
         {},
         remove},
    };
}

} // namespace relay::app

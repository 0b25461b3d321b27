#include "DirectorySnapshot.h"

#include <QUrl>

#include <algorithm>

namespace relay {

QString tierName(Tier tier)
{
    switch (tier) {
    case Tier::Dedicated:
        return QStringLiteral("dedicated");
    case Tier::Guaranteed:
        return QStringLiteral("guaranteed");
    case Tier::BestEffort:
        break;
    }
    return QStringLiteral("best-effort");
}

std::optional<Tier> tierFromName(const QString &name)
{
    if (name == QLatin1String("dedicated"))
        return Tier::Dedicated;
    if (name == QLatin1String("guaranteed"))
        return Tier::Guaranteed;
    if (name == QLatin1String("best-effort"))
        return Tier::BestEffort;
    return std::nullopt;
}

int defaultReserved(Tier tier)
{
    return tier == Tier::BestEffort ? 0 : 1;
}

qint64 defaultQueueTimeoutMs(Tier tier)
{
    switch (tier) {
    case Tier::Dedicated:
        return 5'000;
    case Tier::Guaranteed:
        return 15'000;
    case Tier::BestEffort:
        break;
    }
    return 30'000;
}

QByteArray UpstreamConfig::resolveApiKey() const
{
    if (!apiKeyEnv.isEmpty())
        return qgetenv(apiKeyEnv.toLocal8Bit().constData());
    return apiKey.toUtf8();
}

bool UpstreamConfig::parseBaseUrl(QString *error)
{
    const QUrl url(baseUrl, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != QLatin1String("http") && scheme != QLatin1String("https")) ||
        url.host().isEmpty()) {
        if (error)
            *error = QStringLiteral("base URL must be an http:// or https:// URL: %1").arg(baseUrl);
        return false;
    }
    tls = scheme == QLatin1String("https");
    host = url.host();
    port = quint16(url.port(tls ? 443 : 80));
    QString path = url.path(QUrl::FullyEncoded);
    while (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    basePath = path.toUtf8();
    return true;
}

const UpstreamConfig *DirectorySnapshot::upstream(const QString &name) const
{
    for (const auto &u : upstreams)
        if (u.name == name)
            return &u;
    return nullptr;
}

ModelResolution DirectorySnapshot::resolve(const QString &requested) const
{
    ModelResolution r;
    r.requested = requested;
    r.model = aliases.value(requested, requested);
    const UpstreamConfig *pinned = pinnedUpstream.isEmpty() ? nullptr : upstream(pinnedUpstream);
    if (pinned && !pinned->enabled)
        pinned = nullptr;
    const auto route = routes.constFind(r.model);
    if (route != routes.cend()) {
        r.chain.reserve(size_t(route->size()));
        for (const RouteTarget &t : *route) {
            const UpstreamConfig *u = upstream(t.upstream);
            if (u && u->enabled)
                r.chain.push_back({u, t.model.isEmpty() ? r.model : t.model});
        }
        // `failover pin`: the pinned upstream goes first in every chain that can use it; the
        // rest of the chain still backs it up.
        if (pinned) {
            const auto it =
                std::find_if(r.chain.begin(), r.chain.end(),
                             [&](const ResolvedTarget &t) { return t.upstream == pinned; });
            if (it != r.chain.end())
                std::rotate(r.chain.begin(), it, it + 1);
        }
        return r;
    }
    // No route: the pinned upstream serves the model, backed by the first enabled upstream.
    r.chain.reserve(2);
    if (pinned)
        r.chain.push_back({pinned, r.model});
    for (const auto &u : upstreams) {
        if (u.enabled && &u != pinned) {
            r.chain.push_back({&u, r.model});
            break;
        }
    }
    return r;
}

bool DirectorySnapshot::allows(const TenantConfig &tenant, const ModelResolution &resolution)
{
    if (!tenant.models)
        return true;
    return tenant.models->contains(resolution.requested) ||
           tenant.models->contains(resolution.model);
}

std::optional<PriceConfig> DirectorySnapshot::priceFor(const QString &model) const
{
    const PriceConfig *best = nullptr;
    for (const auto &p : prices) {
        if (model.startsWith(p.model) && (!best || p.model.size() > best->model.size()))
            best = &p;
    }
    if (!best)
        return std::nullopt;
    return *best;
}

QStringList DirectorySnapshot::modelsFor(const TenantConfig &tenant) const
{
    QStringList out;
    if (tenant.models) {
        out = *tenant.models;
        for (auto it = aliases.cbegin(); it != aliases.cend(); ++it)
            if (tenant.models->contains(it.value()))
                out.append(it.key());
    } else {
        for (auto it = routes.cbegin(); it != routes.cend(); ++it)
            out.append(it.key());
        for (auto it = aliases.cbegin(); it != aliases.cend(); ++it)
            out.append(it.key());
        for (const auto &p : prices)
            out.append(p.model);
    }
    out.removeDuplicates();
    std::sort(out.begin(), out.end());
    return out;
}

QStringList DirectorySnapshot::upstreamsServing(const TenantConfig &tenant) const
{
    QStringList out;
    auto addChain = [&](const QString &model) {
        for (const ResolvedTarget &t : resolve(model).chain)
            if (!out.contains(t.upstream->name))
                out.append(t.upstream->name);
    };
    if (!tenant.models) {
        for (const auto &u : upstreams)
            if (u.enabled)
                out.append(u.name);
        return out;
    }
    for (const QString &model : *tenant.models)
        addChain(model);
    return out;
}

QHash<QString, QHash<QString, int>> DirectorySnapshot::reservations() const
{
    QHash<QString, QHash<QString, int>> out;
    for (const TenantConfig &t : tenants) {
        if (!t.enabled || t.tier == Tier::BestEffort || t.reservedSlots() <= 0)
            continue;
        for (const QString &u : upstreamsServing(t))
            out[u][t.id] = t.reservedSlots();
    }
    for (auto it = out.begin(); it != out.end(); ++it) {
        const UpstreamConfig *u = upstream(it.key());
        const int pool = u ? u->maxConnections : 0;
        int total = 0;
        for (int n : std::as_const(*it))
            total += n;
        if (total >= pool) {
            for (auto t = it->begin(); t != it->end(); ++t)
                t.value() = pool > 1 ? int(qint64(t.value()) * (pool - 1) / total) : 0;
        }
        for (auto t = it->begin(); t != it->end();) {
            if (t.value() <= 0)
                t = it->erase(t);
            else
                ++t;
        }
    }
    return out;
}

} // namespace relay

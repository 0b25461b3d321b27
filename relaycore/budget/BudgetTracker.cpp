#include "BudgetTracker.h"

#include "core/Clock.h"
#include "store/UsageRecord.h"

#include <QSet>

#include <algorithm>
#include <array>

namespace relay {

namespace {

// Sums of many small costs drift by far less than this; it keeps "spend reached the budget"
// from hanging on the last bit of a double.
constexpr double kEpsilonUsd = 1e-9;

const QString kThreshold = QStringLiteral("threshold");
const QString kForecast = QStringLiteral("forecast");

QString raisedKey(const QString &kind, int threshold)
{
    return kind + QLatin1Char(':') + QString::number(threshold);
}

qint64 hourOf(qint64 wallMs)
{
    return wallMs >= 0 ? wallMs / BudgetTracker::kHourMs
                       : (wallMs - BudgetTracker::kHourMs + 1) / BudgetTracker::kHourMs;
}

} // namespace

struct TenantBudgetState
{
    struct HourSpend
    {
        qint64 hour = -1; // hours since the epoch
        double usd = 0;
    };

    std::mutex mutex;
    bool configured = false;
    TenantBudget budget;
    BudgetPeriod period;
    double spentUsd = 0;
    qint64 requests = 0;
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
    double inFlightUsd = 0;
    qint64 inFlight = 0;
    static constexpr int kHours = BudgetTracker::kWindowHours;
    std::array<HourSpend, kHours> hours{};
    QSet<QString> raised; // "kind:threshold", this period

    void addHour(qint64 hour, double usd)
    {
        HourSpend &slot = hours[size_t(((hour % kHours) + kHours) % kHours)];
        if (slot.hour > hour)
            return; // older than the ring holds
        if (slot.hour != hour)
            slot = {hour, 0};
        slot.usd += usd;
    }
};

std::optional<double> BudgetSnapshot::remainingUsd() const
{
    if (!budgetUsd)
        return std::nullopt;
    return std::max(0.0, *budgetUsd - spentUsd);
}

BudgetTracker::BudgetTracker(Clock &clock) : m_clock(clock) {}

BudgetTracker::~BudgetTracker() = default;

void BudgetTracker::roll(TenantBudgetState &s, qint64 nowMs)
{
    // Only forwards: a wall clock stepped back keeps the period it had. A new state (end 0)
    // takes the current period here.
    if (nowMs < s.period.endMs)
        return;
    s.period = BudgetPeriod::containing(nowMs);
    s.spentUsd = 0;
    s.requests = 0;
    s.promptTokens = 0;
    s.completionTokens = 0;
    s.raised.clear();
}

void BudgetTracker::configure(const QString &tenantId, const TenantBudget &budget)
{
    const std::shared_ptr<TenantBudgetState> s = m_tenants.find(tenantId, true);
    std::lock_guard lock(s->mutex);
    s->configured = true;
    s->budget = budget;
}

void BudgetTracker::retain(const QList<QString> &tenantIds)
{
    const QSet<QString> keep(tenantIds.cbegin(), tenantIds.cend());
    for (const auto &[id, s] : m_tenants.all()) {
        if (keep.contains(id))
            continue;
        std::lock_guard lock(s->mutex);
        s->configured = false;
        s->budget = TenantBudget{};
    }
}

void BudgetTracker::seedPeriod(const QString &tenantId, const BudgetSeed &totals)
{
    const std::shared_ptr<TenantBudgetState> s = m_tenants.find(tenantId, true);
    std::lock_guard lock(s->mutex);
    roll(*s, m_clock.wallMs());
    s->spentUsd += totals.spentUsd;
    s->requests += totals.requests;
    s->promptTokens += totals.promptTokens;
    s->completionTokens += totals.completionTokens;
}

void BudgetTracker::seedHour(const QString &tenantId, qint64 hourStartMs, double spentUsd)
{
    const std::shared_ptr<TenantBudgetState> s = m_tenants.find(tenantId, true);
    std::lock_guard lock(s->mutex);
    s->addHour(hourOf(hourStartMs), spentUsd);
}

void BudgetTracker::markRaised(const QString &tenantId, const QString &period, const QString &kind,
                               int threshold)
{
    const std::shared_ptr<TenantBudgetState> s = m_tenants.find(tenantId, true);
    std::lock_guard lock(s->mutex);
    roll(*s, m_clock.wallMs());
    if (s->period.key == period)
        s->raised.insert(raisedKey(kind, threshold));
}

void BudgetTracker::unmarkRaised(const QString &tenantId, const QString &period,
                                 const QString &kind, int threshold)
{
    const std::shared_ptr<TenantBudgetState> s = m_tenants.find(tenantId, false);
    if (!s)
        return;
    std::lock_guard lock(s->mutex);
    if (s->period.key == period)
        s->raised.remove(raisedKey(kind, threshold));
}

BudgetRefusal BudgetTracker::admit(const QString &tenantId, double estimateUsd,
                                   std::shared_ptr<TenantBudgetState> *held)
{
    return admit(state(tenantId), estimateUsd, held);
}

std::shared_ptr<TenantBudgetState> BudgetTracker::state(const QString &tenantId)
{
    return m_tenants.find(tenantId, true);
}

BudgetRefusal BudgetTracker::admit(const std::shared_ptr<TenantBudgetState> &s, double estimateUsd,
                                   std::shared_ptr<TenantBudgetState> *held)
{
    const qint64 now = m_clock.wallMs();
    std::lock_guard lock(s->mutex);
    roll(*s, now);
    if (s->budget.budgetUsd && !s->budget.soft) {
        const double budget = *s->budget.budgetUsd;
        if (s->spentUsd + kEpsilonUsd >= budget)
            return BudgetRefusal::Exhausted;
        if (s->spentUsd + s->inFlightUsd + kEpsilonUsd >= budget)
            return BudgetRefusal::HeldInFlight;
    }
    // Held even without a budget, so that a budget set while requests run sees them.
    s->inFlightUsd += std::max(0.0, estimateUsd);
    ++s->inFlight;
    if (held)
        *held = s;
    return BudgetRefusal::None;
}

void BudgetTracker::settle(TenantBudgetState &held, double estimateUsd, const UsageRecord &record)
{
    const qint64 now = m_clock.wallMs();
    std::lock_guard lock(held.mutex);
    roll(held, now);
    held.inFlight = std::max<qint64>(0, held.inFlight - 1);
    // Exactly zero when nothing is in flight, whatever rounding the sums left behind.
    held.inFlightUsd =
        held.inFlight ? std::max(0.0, held.inFlightUsd - std::max(0.0, estimateUsd)) : 0;
    held.spentUsd += record.costUsd;
    ++held.requests;
    held.promptTokens += record.promptTokens;
    held.completionTokens += record.completionTokens;
    held.addHour(hourOf(now), record.costUsd);
}

void BudgetTracker::settle(double estimateUsd, const UsageRecord &record)
{
    settle(*m_tenants.find(record.tenantId, true), estimateUsd, record);
}

double BudgetTracker::forecast(double spentUsd, double windowSpendUsd, qint64 windowMs,
                               qint64 leftMs)
{
    // A rate over a few minutes says little about a month: an hour is the shortest window.
    const qint64 window = std::max(windowMs, kHourMs);
    return spentUsd + windowSpendUsd / double(window) * double(std::max<qint64>(0, leftMs));
}

BudgetSnapshot BudgetTracker::figures(const QString &tenantId, TenantBudgetState &s, qint64 nowMs)
{
    roll(s, nowMs);
    BudgetSnapshot f;
    f.tenant = tenantId;
    f.period = s.period.key;
    f.periodStartMs = s.period.startMs;
    f.budgetUsd = s.budget.budgetUsd;
    f.soft = s.budget.soft;
    f.spentUsd = s.spentUsd;
    f.inFlightUsd = s.inFlightUsd;
    f.requests = s.requests;
    f.promptTokens = s.promptTokens;
    f.completionTokens = s.completionTokens;
    // The window: whole hours back to 23 before the current one, never before the period.
    const qint64 currentHour = hourOf(nowMs);
    const qint64 windowStart =
        std::max(s.period.startMs, (currentHour - (BudgetTracker::kWindowHours - 1)) * kHourMs);
    double windowSpend = 0;
    for (const TenantBudgetState::HourSpend &h : s.hours)
        if (h.hour >= 0 && h.hour <= currentHour && h.hour * kHourMs >= windowStart)
            windowSpend += h.usd;
    f.forecastUsd = forecast(s.spentUsd, windowSpend, nowMs - windowStart, s.period.endMs - nowMs);
    return f;
}

BudgetSnapshot BudgetTracker::snapshot(const QString &tenantId)
{
    const std::shared_ptr<TenantBudgetState> s = m_tenants.find(tenantId, true);
    std::lock_guard lock(s->mutex);
    return figures(tenantId, *s, m_clock.wallMs());
}

QList<BudgetSnapshot> BudgetTracker::snapshots()
{
    const qint64 now = m_clock.wallMs();
    QList<BudgetSnapshot> out;
    for (const auto &[id, s] : m_tenants.all()) {
        std::lock_guard lock(s->mutex);
        if (s->configured)
            out.append(figures(id, *s, now));
    }
    return out;
}

QList<AlertSnapshot> BudgetTracker::takeDueAlerts()
{
    const qint64 now = m_clock.wallMs();
    QList<AlertSnapshot> due;
    for (const auto &tenant : m_tenants.all()) {
        // Named, not a structured binding: the lambda below captures them (clang 14, which the
        // sanitizer and fuzz builds use, cannot capture structured bindings).
        const QString &id = tenant.first;
        const auto &s = tenant.second;
        std::lock_guard lock(s->mutex);
        if (!s->configured || !s->budget.budgetUsd || *s->budget.budgetUsd <= 0)
            continue;
        const BudgetSnapshot f = figures(id, *s, now);
        const double budget = *f.budgetUsd;
        auto raise = [&](const QString &kind, int threshold, std::optional<double> forecastUsd) {
            s->raised.insert(raisedKey(kind, threshold));
            AlertSnapshot a;
            a.tsMs = now;
            a.tenant = id;
            a.period = f.period;
            a.kind = kind;
            a.threshold = threshold;
            a.spentUsd = f.spentUsd;
            a.budgetUsd = budget;
            a.forecastUsd = forecastUsd;
            due.append(a);
        };
        for (const int t : s->budget.thresholds)
            if (f.spentUsd + kEpsilonUsd >= budget * t / 100.0 &&
                !s->raised.contains(raisedKey(kThreshold, t)))
                raise(kThreshold, t, std::nullopt);
        // Before the money is gone; once it is, the 100 % alert says so.
        if (f.spentUsd + kEpsilonUsd < budget && f.forecastUsd > budget + kEpsilonUsd &&
            !s->raised.contains(raisedKey(kForecast, 100)))
            raise(kForecast, 100, f.forecastUsd);
    }
    return due;
}

} // namespace relay

#pragma once

#include "AlertSnapshot.h"
#include "billing/BudgetPeriod.h"
#include "core/TenantRegistry.h"

#include <QHash>
#include <QList>
#include <QString>

#include <memory>
#include <mutex>
#include <optional>

namespace relay {

class Clock;
struct UsageRecord;

// One tenant's figures for the period (BudgetTracker.cpp). An admitted request holds its
// tenant's, so that its end settles where it was admitted without finding the tenant again.
struct TenantBudgetState;

// A tenant's budget settings (interface.md §4 "Budgets and usage").
struct TenantBudget
{
    std::optional<double> budgetUsd; // per calendar month (UTC); nullopt = no budget
    bool soft = false;               // over budget: served and alerted, never refused
    QList<int> thresholds{50, 80, 100};

    bool operator==(const TenantBudget &) const = default;
};

// Why a request was refused for budget.
enum class BudgetRefusal {
    None,
    Exhausted,    // spend alone has reached a hard budget: 429 insufficient_quota, no retry
    HeldInFlight, // spend + the estimates of requests in flight have: 429 tokens, Retry-After 1 s
};

// A tenant's figures for the current period.
struct BudgetSnapshot
{
    QString tenant;
    QString period; // "YYYY-MM"
    qint64 periodStartMs = 0;
    std::optional<double> budgetUsd;
    bool soft = false;
    double spentUsd = 0;
    double inFlightUsd = 0; // estimated cost of the requests in flight
    double forecastUsd = 0; // projected spend at the period's end
    qint64 requests = 0;    // admitted past the limits and finished
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;

    // Budget − spend, never negative; nullopt without a budget.
    std::optional<double> remainingUsd() const;
};

// The period's totals of one tenant, as the hourly rollups hold them at start-up.
struct BudgetSeed
{
    double spentUsd = 0;
    qint64 requests = 0;
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
};

// Per-tenant spend for the current budget period, kept in memory so that admission costs no
// database access: spend, requests and tokens, the estimated cost of the requests in flight, a
// ring of the last 24 hours' spend for the forecast, and the alerts already raised this period.
// A new month starts from zero by arithmetic on the injected clock's wall time.
//
// Thread-safe: every worker admits and settles through it, the alert thread checks it and the
// engine reads its figures; each tenant has its own lock, the registry lock only finds it.
class BudgetTracker
{
public:
    static constexpr qint64 kHourMs = 3'600'000;
    static constexpr int kWindowHours = 24;

    explicit BudgetTracker(Clock &clock);
    ~BudgetTracker();

    // On every directory publish. Tenants not in `tenantIds` keep their period figures (their
    // usage history stays, and an id added back is the same tenant) but lose their budget.
    void configure(const QString &tenantId, const TenantBudget &budget);
    void retain(const QList<QString> &tenantIds);

    // Start-up, before the first request: the current period's totals and the spend of recent
    // hours (from the hourly rollups), and the alerts already raised this period.
    void seedPeriod(const QString &tenantId, const BudgetSeed &totals);
    void seedHour(const QString &tenantId, qint64 hourStartMs, double spentUsd);
    void markRaised(const QString &tenantId, const QString &period, const QString &kind,
                    int threshold);
    // An alert that could not be stored: the next check raises it again.
    void unmarkRaised(const QString &tenantId, const QString &period, const QString &kind,
                      int threshold);

    // Admits a request whose estimated cost is `estimateUsd` while spend + the estimates in
    // flight are below the budget (the request that crosses the line is served); an admitted
    // request holds its estimate until settle(). A refused request holds nothing.
    // `held`, when given, gets the tenant's state for settle().
    BudgetRefusal admit(const QString &tenantId, double estimateUsd,
                        std::shared_ptr<TenantBudgetState> *held = nullptr);
    // The same for a tenant's state found beforehand (state()): no look-up, no registry lock.
    BudgetRefusal admit(const std::shared_ptr<TenantBudgetState> &state, double estimateUsd,
                        std::shared_ptr<TenantBudgetState> *held = nullptr);
    // The tenant's state, made when missing: the object configure() changes in place, until
    // retain() forgets the tenant.
    std::shared_ptr<TenantBudgetState> state(const QString &tenantId);
    // An admitted request ended: releases its estimate and adds its real cost and tokens.
    void settle(TenantBudgetState &held, double estimateUsd, const UsageRecord &record);
    // The same, for the record's tenant.
    void settle(double estimateUsd, const UsageRecord &record);

    BudgetSnapshot snapshot(const QString &tenantId);
    // Every configured tenant's figures, sorted by id.
    QList<BudgetSnapshot> snapshots();
    // The alerts due now and not yet raised this period (each marked raised as it is returned):
    // thresholds the spend has reached, and a forecast that passes the budget while the spend
    // is still under it.
    QList<AlertSnapshot> takeDueAlerts();

    // Spend so far + the recent rate (spend of the last 24 h, or since the period began if
    // shorter, over at least an hour) × the time left in the period.
    static double forecast(double spentUsd, double windowSpendUsd, qint64 windowMs, qint64 leftMs);

private:
    // Moves the tenant to the period holding `nowMs` when the old one has ended.
    static void roll(TenantBudgetState &s, qint64 nowMs);
    static BudgetSnapshot figures(const QString &tenantId, TenantBudgetState &s, qint64 nowMs);

    Clock &m_clock;
    TenantRegistry<TenantBudgetState> m_tenants;
};

} // namespace relay

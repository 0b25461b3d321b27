#pragma once

#include "core/Clock.h"

#include <QHash>
#include <QSqlDatabase>
#include <QString>

namespace relay {

class AdminService;

// Where the demo's simulated providers listen (their OpenAI-compatible base URLs).
struct DemoUpstreamUrls
{
    QString openai;
    QString anthropic;
    QString deepseek;
};

// The demo's sample data, written into a fresh database: three upstreams, routes, aliases and
// prices, three tenants with tiers, limits and budgets, and this month's earlier spend (raw usage
// rows and their hourly rollups, as the usage writer keeps them). Returns tenant id → key.
namespace DemoSeed {

// The kind the demo's backup upstream is registered with.
inline constexpr char kBackupKind[] = "anthropic";

bool seed(QSqlDatabase &db, AdminService &admin, const DemoUpstreamUrls &urls, const Clock &clock,
          QHash<QString, QString> *keys, QString *error);

} // namespace DemoSeed
} // namespace relay

#include "CliOutput.h"

#include "CommandSpec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

namespace relay::app {

CliOutput::CliOutput() : m_out(stdout), m_err(stderr) {}

void CliOutput::print(const QString &text)
{
    m_out << text;
    if (!text.endsWith(QLatin1Char('\n')))
        m_out << '\n';
    m_out.flush();
}

void CliOutput::printJson(const QJsonValue &value)
{
    const QJsonDocument doc =
        value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
    print(QString::fromUtf8(doc.toJson(QJsonDocument::Indented)));
}

int CliOutput::failure(const QString &message)
{
    m_err << "tenantrelay: " << message << '\n';
    m_err.flush();
    return kExitFailure;
}

int CliOutput::usageError(const QString &message, const QString &command)
{
    const QString help = command.isEmpty() ? QStringLiteral("tenantrelay --help")
                                           : QStringLiteral("tenantrelay %1 --help").arg(command);
    m_err << "tenantrelay: " << message << '\n' << "Run '" << help << "' for usage.\n";
    m_err.flush();
    return kExitUsage;
}

} // namespace relay::app

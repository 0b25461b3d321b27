#pragma once

#include <QString>
#include <QTemporaryDir>

namespace relay::test {

// A fresh folder for one test's database, removed when the test ends.
class TempDb
{
public:
    TempDb() : m_path(m_dir.path() + QStringLiteral("/tenantrelay.db")) {}
    const QString &path() const { return m_path; }
    QString dir() const { return m_dir.path(); }

private:
    QTemporaryDir m_dir;
    QString m_path;
};

} // namespace relay::test

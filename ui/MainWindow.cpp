#include "MainWindow.h"

#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace relay::ui {

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("TenantRelay"));
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    m_status = new QLabel(tr("Starting the relay…"), central);
    m_status->setObjectName(QStringLiteral("relayStatus"));
    QFont big = m_status->font();
    big.setPointSizeF(big.pointSizeF() * 1.4);
    big.setBold(true);
    m_status->setFont(big);
    layout->addWidget(m_status);

    auto *form = new QFormLayout;
    m_address = new QLabel(QStringLiteral("—"), central);
    m_address->setObjectName(QStringLiteral("listenAddress"));
    m_address->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_address->setToolTip(tr("Point OpenAI SDKs here, with a tenant key as the API key"));
    m_requests = new QLabel(QStringLiteral("0"), central);
    m_requests->setObjectName(QStringLiteral("requestCount"));
    m_inFlight = new QLabel(QStringLiteral("0"), central);
    m_inFlight->setObjectName(QStringLiteral("inFlightCount"));
    m_database = new QLabel(QStringLiteral("—"), central);
    m_database->setObjectName(QStringLiteral("databasePath"));
    m_database->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(tr("Base URL:"), m_address);
    form->addRow(tr("Requests served:"), m_requests);
    form->addRow(tr("In flight:"), m_inFlight);
    form->addRow(tr("Database:"), m_database);
    layout->addLayout(form);
    layout->addStretch(1);
    setCentralWidget(central);
    resize(560, 240);
}

void MainWindow::showEngineStarted(const QString &listenAddress, const QString &dbPath, int workers)
{
    m_status->setText(workers == 1 ? tr("Relay running on 1 worker thread")
                                   : tr("Relay running on %1 worker threads").arg(workers));
    m_address->setText(QStringLiteral("http://%1/v1").arg(listenAddress));
    m_database->setText(dbPath);
}

void MainWindow::showEngineFailed(const QString &error)
{
    m_status->setText(tr("The relay could not start"));
    m_address->setText(error);
}

void MainWindow::applyStats(const relay::EngineStatsSnapshot &stats)
{
    const QLocale locale;
    m_requests->setText(locale.toString(stats.requests));
    m_inFlight->setText(locale.toString(stats.inFlight));
}

} // namespace relay::ui

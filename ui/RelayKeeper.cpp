#include "RelayKeeper.h"

#include "PanelUtil.h"
#include "RelayTray.h"
#include "relay/Engine.h"

#include <QAction>
#include <QCheckBox>
#include <QCoreApplication>
#include <QEvent>
#include <QLocale>
#include <QMainWindow>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>

namespace relay::ui {

namespace {

QString actionName(RelayKeeper::CloseAction action)
{
    switch (action) {
    case RelayKeeper::CloseAction::KeepRelaying:
        return QStringLiteral("keep");
    case RelayKeeper::CloseAction::Quit:
        return QStringLiteral("quit");
    case RelayKeeper::CloseAction::Ask:
        break;
    }
    return QStringLiteral("ask");
}

} // namespace

RelayKeeper::CloseAction RelayKeeper::savedCloseAction()
{
    const QString saved = QSettings().value(closeActionKey()).toString();
    if (saved == actionName(CloseAction::KeepRelaying))
        return CloseAction::KeepRelaying;
    if (saved == actionName(CloseAction::Quit))
        return CloseAction::Quit;
    return CloseAction::Ask;
}

void RelayKeeper::saveCloseAction(CloseAction action)
{
    QSettings settings;
    if (action == CloseAction::Ask)
        settings.remove(closeActionKey());
    else
        settings.setValue(closeActionKey(), actionName(action));
}

RelayKeeper::RelayKeeper(QMainWindow *window, Engine *engine, QObject *parent)
    : QObject(parent), m_window(window), m_engine(engine), m_tray(new RelayTray(window, this))
{
    m_open = new QAction(tr("&Open console"), this);
    m_open->setObjectName(QStringLiteral("openConsoleAction"));
    connect(m_open, &QAction::triggered, this, &RelayKeeper::showWindow);
    connect(m_tray, &RelayTray::openRequested, this, &RelayKeeper::showWindow);

    m_pause = new QAction(tr("&Pause new requests"), this);
    m_pause->setObjectName(QStringLiteral("pauseAction"));
    m_pause->setCheckable(true);
    m_pause->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
    m_pause->setToolTip(tr("New tenant requests get 503 relay_paused (with Retry-After); "
                           "requests in flight finish"));
    if (m_engine) {
        m_pause->setChecked(m_engine->isPaused());
        m_tray->setPaused(m_engine->isPaused());
        connect(m_pause, &QAction::toggled, m_engine, &Engine::setPaused);
        connect(m_engine, &Engine::pausedChanged, this, [this](bool paused) {
            m_pause->setChecked(paused);
            m_tray->setPaused(paused);
        });
    } else {
        m_pause->setEnabled(false);
        m_pause->setToolTip(tr("This console runs no relay of its own"));
    }

    m_quit = new QAction(tr("&Quit"), this);
    m_quit->setObjectName(QStringLiteral("quitAction"));
    m_quit->setShortcut(QKeySequence::Quit);
    m_quit->setToolTip(tr("Stop the relay (requests in flight finish first) and close the "
                          "console"));
    connect(m_quit, &QAction::triggered, this, &RelayKeeper::quit);

    m_tray->setActions({m_open, m_pause, nullptr, m_quit});
    if (QCoreApplication *app = QCoreApplication::instance())
        app->installEventFilter(this);
}

bool RelayKeeper::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::Quit && watched == QCoreApplication::instance())
        m_quitting = true;
    return QObject::eventFilter(watched, event);
}

bool RelayKeeper::servingTenants() const
{
    return m_engine && m_engine->isRunning() &&
           (m_engine->requestsAnswered() > 0 || m_engine->callsInFlight() > 0);
}

QString RelayKeeper::servedText() const
{
    const QLocale locale;
    const qint64 answered = m_engine->requestsAnswered();
    const QString requests = answered == 1
                                 ? tr("1 request answered")
                                 : tr("%1 requests answered").arg(locale.toString(answered));
    return tr("Tenants are using this relay: %1 since it started, %2 in flight.")
        .arg(requests, locale.toString(m_engine->callsInFlight()));
}

bool RelayKeeper::windowClosing()
{
    if (m_quitting)
        return true;
    if (!m_engine || !m_engine->isRunning()) {
        stopRelay();
        return true;
    }
    const CloseAction action = savedCloseAction();
    const bool serving = servingTenants();
    if (action == CloseAction::Quit || (action == CloseAction::Ask && !serving)) {
        stopRelay();
        return true;
    }
    if (!m_tray->available())
        confirmQuitWithoutTray();
    else if (action == CloseAction::KeepRelaying)
        keepInBackground();
    else
        askKeepOrQuit();
    return false;
}

void RelayKeeper::askKeepOrQuit()
{
    auto *box = new QMessageBox(QMessageBox::Question, tr("Keep relaying?"), servedText(),
                                QMessageBox::NoButton, m_window);
    box->setObjectName(QStringLiteral("keepRelayingBox"));
    box->setInformativeText(
        tr("Keep relaying in the background: the window closes, tenants are still served at "
           "%1, and the icon in the system tray opens the console again, pauses new requests "
           "or quits.\n\nStop the relay and quit: requests in flight finish first (up to "
           "10 s); new ones fail until the relay runs again.")
            .arg(m_engine->baseUrl()));
    QPushButton *keep =
        box->addButton(tr("&Keep relaying in the background"), QMessageBox::AcceptRole);
    keep->setObjectName(QStringLiteral("keepRelayingButton"));
    QPushButton *quit =
        box->addButton(tr("&Stop the relay and quit"), QMessageBox::DestructiveRole);
    quit->setObjectName(QStringLiteral("quitRelayButton"));
    box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(keep);
    auto *again = new QCheckBox(tr("&Don't ask again (Settings can change it)"), box);
    again->setObjectName(QStringLiteral("dontAskAgainCheck"));
    box->setCheckBox(again);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, keep, quit, again](int) {
        const QAbstractButton *clicked = box->clickedButton();
        if (clicked != keep && clicked != quit)
            return; // Cancel: the window stays
        const CloseAction chosen = clicked == keep ? CloseAction::KeepRelaying : CloseAction::Quit;
        if (again->isChecked()) {
            saveCloseAction(chosen);
            Q_EMIT closeActionSaved(chosen);
        }
        if (chosen == CloseAction::KeepRelaying)
            keepInBackground();
        else
            this->quit();
    });
    box->open();
}

void RelayKeeper::confirmQuitWithoutTray()
{
    const QString why = servingTenants()
                            ? servedText()
                            : tr("Settings say to keep relaying when the window is closed.");
    confirmThen(m_window, tr("Stop the relay?"),
                why + QStringLiteral("\n\n") +
                    tr("This desktop has no system tray, so the relay cannot keep running "
                       "without its window. Stop the relay and quit? Requests in flight finish "
                       "first (up to 10 s)."),
                [this] { quit(); });
}

void RelayKeeper::keepInBackground()
{
    if (!m_tray->show()) {
        // The tray went away since the question was asked.
        confirmQuitWithoutTray();
        return;
    }
    m_inBackground = true;
    m_window->hide();
    if (!m_toldAboutTray) {
        m_toldAboutTray = true;
        m_tray->showMessage(tr("TenantRelay keeps relaying"),
                            tr("Tenants are still served at %1. The console is here, in the "
                               "tray.")
                                .arg(m_engine->baseUrl()),
                            false);
    }
}

void RelayKeeper::showWindow()
{
    m_inBackground = false;
    if (m_window->isMinimized())
        m_window->showNormal();
    else
        m_window->show();
    m_window->raise();
    m_window->activateWindow();
}

void RelayKeeper::quit()
{
    m_quitting = true;
    if (m_window->isVisible())
        m_window->close(); // windowClosing() lets it go now
    stopRelay();
}

void RelayKeeper::stopRelay()
{
    if (m_stopping)
        return;
    m_stopping = true;
    m_quitting = true;
    m_inBackground = false;
    m_tray->hide();
    if (m_engine && m_engine->isRunning()) {
        connect(m_engine, &Engine::stopped, this, &RelayKeeper::quitRequested,
                Qt::SingleShotConnection);
        m_engine->shutdown();
    } else {
        Q_EMIT quitRequested();
    }
}

} // namespace relay::ui

#pragma once

#include "ConsoleContext.h"
#include "tenants/DirectorySnapshot.h"

#include <QWidget>

#include <vector>

class QBarCategoryAxis;
class QBarSeries;
class QComboBox;
class QDateEdit;
class QLineEdit;
class QValueAxis;

namespace relay::ui {

class NumberField;

class RowTableModel;

// The price table (editable) and the cost comparison: what each tenant's usage cost, and what
// it would have cost under another price table (the shipped pricing.json or a chosen file), as
// a table and a chart: the figures of `report costs` (AdminService::costReport), read on the
// database thread.
class PricingPanel : public QWidget
{
    Q_OBJECT
public:
    explicit PricingPanel(const ConsoleContext &context, QWidget *parent = nullptr);

    void refreshPrices();
    void refreshComparison();
    RowTableModel *priceModel() const { return m_prices; }
    RowTableModel *comparisonModel() const { return m_comparison; }
    // Reads alternative prices from a pricing.json-shaped file (PriceList); false with a
    // message if bad.
    bool loadAlternative(const QString &path, QString *error);

Q_SIGNALS:
    void comparisonRefreshed();

private:
    ConsoleContext m_context;
    RowTableModel *m_prices = nullptr;
    RowTableModel *m_comparison = nullptr;
    QLineEdit *m_model = nullptr;
    NumberField *m_input = nullptr; // typed as text, never rounded or capped
    NumberField *m_output = nullptr;
    QComboBox *m_source = nullptr;
    QDateEdit *m_since = nullptr;
    QBarSeries *m_bars = nullptr;
    QBarCategoryAxis *m_categories = nullptr;
    QValueAxis *m_y = nullptr;
    std::vector<PriceConfig> m_alternative;
    QString m_alternativeName;
};

} // namespace relay::ui

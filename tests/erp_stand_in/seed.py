"""The captured site's setup: company Test Shop (TS), EUR, France, after the setup wizard.

Values come from the captures (``tests/captures/erpnext/README.md``, golden f13's Stock Settings, x3's
Selling Settings) and ERPNext's setup wizard defaults for a French company.
"""

from __future__ import annotations

COMPANY = "Test Shop"
ABBR = "TS"


def _acc(name, parent, root_type, account_type="", is_group=0, currency="EUR"):
    return {
        "doctype": "Account",
        "name": f"{name} - {ABBR}",
        "account_name": name,
        "parent_account": f"{parent} - {ABBR}" if parent else None,
        "company": COMPANY,
        "root_type": root_type,
        "report_type": "Balance Sheet" if root_type in ("Asset", "Liability", "Equity") else "Profit and Loss",
        "account_type": account_type,
        "is_group": is_group,
        "account_currency": currency,
    }


ACCOUNTS = [
    _acc("Application of Funds (Assets)", None, "Asset", is_group=1),
    _acc("Current Assets", "Application of Funds (Assets)", "Asset", is_group=1),
    _acc("Accounts Receivable", "Current Assets", "Asset", is_group=1),
    _acc("Debtors", "Accounts Receivable", "Asset", "Receivable"),
    _acc("Bank Accounts", "Current Assets", "Asset", "Bank", is_group=1),
    _acc("Bank Account", "Bank Accounts", "Asset", "Bank"),
    _acc("Cash In Hand", "Current Assets", "Asset", "Cash", is_group=1),
    _acc("Cash", "Cash In Hand", "Asset", "Cash"),
    _acc("Stock Assets", "Current Assets", "Asset", "Stock", is_group=1),
    _acc("Stock In Hand", "Stock Assets", "Asset", "Stock"),
    _acc("Temporary Accounts", "Application of Funds (Assets)", "Asset", "Temporary", is_group=1),
    _acc("Temporary Opening", "Temporary Accounts", "Asset", "Temporary"),
    _acc("Source of Funds (Liabilities)", None, "Liability", is_group=1),
    _acc("Current Liabilities", "Source of Funds (Liabilities)", "Liability", is_group=1),
    _acc("Accounts Payable", "Current Liabilities", "Liability", is_group=1),
    _acc("Creditors", "Accounts Payable", "Liability", "Payable"),
    _acc("Duties and Taxes", "Current Liabilities", "Liability", "Tax", is_group=1),
    _acc("TVA 20%", "Duties and Taxes", "Liability", "Tax"),
    _acc("TVA 5.5%", "Duties and Taxes", "Liability", "Tax"),
    _acc("TVA 10%", "Duties and Taxes", "Liability", "Tax"),
    _acc("Stock Liabilities", "Current Liabilities", "Liability", is_group=1),
    _acc("Stock Received But Not Billed", "Stock Liabilities", "Liability", "Stock Received But Not Billed"),
    _acc("Income", None, "Income", is_group=1),
    _acc("Direct Income", "Income", "Income", "Income Account", is_group=1),
    _acc("Sales", "Direct Income", "Income", "Income Account"),
    _acc("Shipping Income", "Direct Income", "Income", "Income Account"),
    _acc("Expenses", None, "Expense", is_group=1),
    _acc("Direct Expenses", "Expenses", "Expense", is_group=1),
    _acc("Stock Expenses", "Direct Expenses", "Expense", is_group=1),
    _acc("Cost of Goods Sold", "Stock Expenses", "Expense", "Cost of Goods Sold"),
    _acc("Stock Adjustment", "Stock Expenses", "Expense", "Stock Adjustment"),
    _acc("Indirect Expenses", "Expenses", "Expense", is_group=1),
    _acc("Freight and Forwarding Charges", "Indirect Expenses", "Expense", "Chargeable"),
    _acc("Round Off", "Indirect Expenses", "Expense", "Round Off"),
    _acc("Write Off", "Indirect Expenses", "Expense"),
    _acc("Exchange Gain/Loss", "Indirect Expenses", "Expense"),
]

#: (name as Frappe's country list spells it, ISO 3166-1 alpha-2 code; Frappe stores codes lowercased)
COUNTRIES = [
    ("France", "fr"), ("Germany", "de"), ("Belgium", "be"), ("Luxembourg", "lu"), ("Switzerland", "ch"),
    ("Monaco", "mc"), ("Spain", "es"), ("Portugal", "pt"), ("Italy", "it"), ("Netherlands", "nl"),
    ("Austria", "at"), ("Ireland", "ie"), ("United Kingdom", "gb"), ("United States", "us"), ("Canada", "ca"),
    ("Denmark", "dk"), ("Sweden", "se"), ("Norway", "no"), ("Finland", "fi"), ("Iceland", "is"),
    ("Poland", "pl"), ("Czech Republic", "cz"), ("Slovakia", "sk"), ("Hungary", "hu"), ("Slovenia", "si"),
    ("Croatia", "hr"), ("Romania", "ro"), ("Bulgaria", "bg"), ("Greece", "gr"), ("Cyprus", "cy"),
    ("Malta", "mt"), ("Estonia", "ee"), ("Latvia", "lv"), ("Lithuania", "lt"), ("Andorra", "ad"),
    ("Liechtenstein", "li"), ("San Marino", "sm"), ("Morocco", "ma"), ("Algeria", "dz"), ("Tunisia", "tn"),
    ("Senegal", "sn"), ("Turkey", "tr"), ("Israel", "il"), ("United Arab Emirates", "ae"), ("Saudi Arabia", "sa"),
    ("India", "in"), ("China", "cn"), ("Japan", "jp"), ("Korea, Republic of", "kr"), ("Singapore", "sg"),
    ("Hong Kong", "hk"), ("Australia", "au"), ("New Zealand", "nz"), ("Brazil", "br"), ("Mexico", "mx"),
    ("Argentina", "ar"), ("Chile", "cl"), ("South Africa", "za"), ("Russian Federation", "ru"), ("Ukraine", "ua"),
    ("Réunion", "re"), ("Martinique", "mq"), ("Guadeloupe", "gp"), ("French Guiana", "gf"), ("New Caledonia", "nc"),
    ("French Polynesia", "pf"),
]

CURRENCIES = [
    {"name": "EUR", "fraction": "Cent", "fraction_units": 100, "smallest_currency_fraction_value": 0.01, "symbol": "€",
     "number_format": "#.###,##", "enabled": 1},
    {"name": "USD", "fraction": "Cent", "fraction_units": 100, "smallest_currency_fraction_value": 0.01, "symbol": "$",
     "number_format": "#,###.##", "enabled": 1},
    {"name": "GBP", "fraction": "Penny", "fraction_units": 100, "smallest_currency_fraction_value": 0.01, "symbol": "£",
     "number_format": "#,###.##", "enabled": 0},
    {"name": "CHF", "fraction": "Rappen", "fraction_units": 100, "smallest_currency_fraction_value": 0.05,
     "symbol": "CHF", "number_format": "#'###.##", "enabled": 0},
]

STOCK_SETTINGS = {  # golden f13, as read from the site
    "item_naming_by": "Item Code", "valuation_method": "FIFO", "default_warehouse": f"Stores - {ABBR}",
    "stock_uom": "Nos", "auto_insert_price_list_rate_if_missing": 1, "update_price_list_based_on": "Rate",
    "update_existing_price_list_rate": 0, "allow_to_edit_stock_uom_qty_for_sales": 0,
    "allow_to_edit_stock_uom_qty_for_purchase": 0, "allow_uom_with_conversion_rate_defined_in_item": 0,
    "over_delivery_receipt_allowance": 0.0, "mr_qty_allowance": 0.0, "over_picking_allowance": 0.0,
    "allow_negative_stock": 0, "show_barcode_field": 1, "clean_description_html": 1,
    "allow_internal_transfer_at_arms_length_price": 0, "action_if_quality_inspection_is_not_submitted": "Stop",
    "action_if_quality_inspection_is_rejected": "Stop", "enable_stock_reservation": 0,
    "allow_partial_reservation": 1, "auto_reserve_stock_for_sales_order_on_purchase": 0,
    "auto_reserve_serial_and_batch": 1, "allow_existing_serial_no": 1, "do_not_use_batchwise_valuation": 0,
    "auto_create_serial_and_batch_bundle_for_outward": 1, "pick_serial_and_batch_based_on": "FIFO",
    "disable_serial_no_and_batch_selector": 0, "use_serial_batch_fields": 1,
    "do_not_update_serial_batch_on_creation_of_auto_bundle": 1,
    "set_serial_and_batch_bundle_naming_based_on_naming_series": 0, "use_naming_series": 0,
    "naming_series_prefix": "BATCH-", "allow_to_make_quality_inspection_after_purchase_or_delivery": 0,
    "auto_indent": 1, "reorder_email_notify": 0, "allow_from_dn": 0, "allow_from_pr": 0, "stock_frozen_upto_days": 0,
}


def seed_test_shop(erp) -> None:
    erp.user_defaults.update(company=COMPANY, currency="EUR", country="France", fiscal_year="2026")
    with erp.transaction():
        put = erp.seed
        put({"doctype": "System Settings", "country": "France", "language": "en", "time_zone": "Europe/Paris",
             "date_format": "dd-mm-yyyy", "time_format": "HH:mm:ss", "number_format": "#.###,##",
             "float_precision": "3", "rounding_method": "Banker's Rounding", "setup_complete": 1})
        put({"doctype": "Global Defaults", "default_company": COMPANY, "default_currency": "EUR", "country": "France",
             "current_fiscal_year": "2026", "disable_rounded_total": 0, "disable_in_words": 0})
        put({"doctype": "Stock Settings", **STOCK_SETTINGS})
        put({"doctype": "Selling Settings", "cust_master_name": "Customer Name", "selling_price_list": "Standard Selling",
             "so_required": "No", "dn_required": "No", "sales_update_frequency": "Each Transaction",
             "maintain_same_sales_rate": 0, "allow_multiple_items": 1})
        put({"doctype": "Accounts Settings", "unlink_payment_on_cancellation_of_invoice": 1,
             "unlink_advance_payment_on_cancelation_of_order": 1})
        for language, name in (("en", "English"), ("fr", "Français")):
            put({"doctype": "Language", "name": language, "language_code": language, "language_name": name})
        for c in CURRENCIES:
            put({"doctype": "Currency", "currency_name": c["name"], **c})
        for name, code in COUNTRIES:
            put({"doctype": "Country", "name": name, "country_name": name, "code": code})
        for role in ("Administrator", "System Manager", "Guest", "All", "Sales User", "Sales Manager", "Stock User",
                     "Stock Manager", "Accounts User", "Accounts Manager", "Item Manager"):
            put({"doctype": "Role", "name": role, "role_name": role})
        put({"doctype": "User", "name": "Administrator", "email": "admin@example.com", "first_name": "Administrator",
             "username": "administrator", "user_type": "System User", "enabled": 1})
        put({"doctype": "User", "name": "Guest", "email": "guest@example.com", "first_name": "Guest",
             "username": "guest", "user_type": "Website User", "enabled": 1})
        put({"doctype": "Company", "name": COMPANY, "company_name": COMPANY, "abbr": ABBR, "default_currency": "EUR",
             "country": "France", "create_chart_of_accounts_based_on": "Standard Template",
             "chart_of_accounts": "Standard", "default_bank_account": f"Bank Account - {ABBR}",
             "default_cash_account": f"Cash - {ABBR}", "default_receivable_account": f"Debtors - {ABBR}",
             "default_payable_account": f"Creditors - {ABBR}", "default_income_account": f"Sales - {ABBR}",
             "default_expense_account": f"Cost of Goods Sold - {ABBR}", "cost_center": f"Main - {ABBR}",
             "round_off_account": f"Round Off - {ABBR}", "round_off_cost_center": f"Main - {ABBR}",
             "write_off_account": f"Write Off - {ABBR}", "exchange_gain_loss_account": f"Exchange Gain/Loss - {ABBR}",
             "stock_adjustment_account": f"Stock Adjustment - {ABBR}",
             "default_inventory_account": f"Stock In Hand - {ABBR}",
             "stock_received_but_not_billed": f"Stock Received But Not Billed - {ABBR}",
             "enable_perpetual_inventory": 1})
        for account in ACCOUNTS:
            put(dict(account))
        put({"doctype": "Cost Center", "name": f"{COMPANY} - {ABBR}", "cost_center_name": COMPANY, "company": COMPANY,
             "is_group": 1})
        put({"doctype": "Cost Center", "name": f"Main - {ABBR}", "cost_center_name": "Main", "company": COMPANY,
             "parent_cost_center": f"{COMPANY} - {ABBR}"})
        put({"doctype": "Fiscal Year", "name": "2026", "year": "2026", "year_start_date": "2026-01-01",
             "year_end_date": "2026-12-31"})
        put({"doctype": "Warehouse", "name": f"All Warehouses - {ABBR}", "warehouse_name": "All Warehouses",
             "company": COMPANY, "is_group": 1})
        for wh in ("Stores", "Finished Goods", "Work In Progress", "Goods In Transit"):
            put({"doctype": "Warehouse", "name": f"{wh} - {ABBR}", "warehouse_name": wh, "company": COMPANY,
                 "parent_warehouse": f"All Warehouses - {ABBR}"})
        for uom, whole in (("Nos", 1), ("Unit", 1), ("Box", 1), ("Pair", 1), ("Kg", 0), ("Gram", 0), ("Litre", 0),
                           ("Meter", 0)):
            put({"doctype": "UOM", "name": uom, "uom_name": uom, "must_be_whole_number": whole, "enabled": 1})
        put({"doctype": "Item Group", "name": "All Item Groups", "item_group_name": "All Item Groups", "is_group": 1})
        for group in ("Products", "Services", "Raw Material", "Consumable", "Sub Assemblies"):
            put({"doctype": "Item Group", "name": group, "item_group_name": group, "parent_item_group": "All Item Groups"})
        put({"doctype": "Customer Group", "name": "All Customer Groups", "customer_group_name": "All Customer Groups",
             "is_group": 1})
        for group in ("Individual", "Commercial", "Government", "Non Profit"):
            put({"doctype": "Customer Group", "name": group, "customer_group_name": group,
                 "parent_customer_group": "All Customer Groups"})
        put({"doctype": "Territory", "name": "All Territories", "territory_name": "All Territories", "is_group": 1})
        for territory in ("France", "Rest Of The World"):
            put({"doctype": "Territory", "name": territory, "territory_name": territory,
                 "parent_territory": "All Territories"})
        put({"doctype": "Price List", "name": "Standard Selling", "price_list_name": "Standard Selling",
             "currency": "EUR", "selling": 1, "buying": 0, "enabled": 1})
        put({"doctype": "Price List", "name": "Standard Buying", "price_list_name": "Standard Buying",
             "currency": "EUR", "selling": 0, "buying": 1, "enabled": 1})
        for mode, kind, account in (("Cash", "Cash", "Cash"), ("Bank Draft", "Bank", "Bank Account"),
                                    ("Credit Card", "Bank", "Bank Account"), ("Wire Transfer", "Bank", "Bank Account"),
                                    ("Cheque", "Bank", "Bank Account")):
            put({"doctype": "Mode of Payment", "name": mode, "mode_of_payment": mode, "type": kind, "enabled": 1,
                 "accounts": [{"company": COMPANY, "default_account": f"{account} - {ABBR}"}]})
        put({"doctype": "Item Attribute", "name": "Size", "attribute_name": "Size",
             "item_attribute_values": [{"attribute_value": "Small", "abbr": "S"},
                                       {"attribute_value": "Medium", "abbr": "M"},
                                       {"attribute_value": "Large", "abbr": "L"}]})
        for title, account, rate in (("FR TVA 20%", "TVA 20%", 20.0), ("FR TVA 5.5%", "TVA 5.5%", 5.5)):
            put({"doctype": "Item Tax Template", "name": f"{title} - {ABBR}", "title": title, "company": COMPANY,
                 "taxes": [{"tax_type": f"{account} - {ABBR}", "tax_rate": rate}]})
        for purpose in ("Material Issue", "Material Receipt", "Material Transfer", "Material Transfer for Manufacture",
                        "Material Consumption for Manufacture", "Manufacture", "Repack", "Send to Subcontractor",
                        "Disassemble"):
            put({"doctype": "Stock Entry Type", "name": purpose, "purpose": purpose, "is_standard": 1})
        for salutation in ("Mr", "Ms", "Mrs", "Mx", "Dr", "Madam", "Miss", "Master", "Prof"):
            put({"doctype": "Salutation", "name": salutation, "salutation": salutation})
        for gender in ("Male", "Female", "Non-Conforming", "Transgender", "Genderqueer", "Other", "Prefer not to say"):
            put({"doctype": "Gender", "name": gender, "gender": gender})

"""The ERP port (``port.ERP``), its errors, the ERPNext contract, and the Frappe implementation."""

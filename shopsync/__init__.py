"""shopsync: keeps ERPNext (and Dokos) and any number of WooCommerce shops in step."""

__version__ = "0.1.0"

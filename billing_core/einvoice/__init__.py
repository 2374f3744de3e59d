"""E-invoices (EN 16931): what a record and the company need for one (readiness.py), the CII
XML built from the invoice snapshot (cii.py) and the Factur-X PDF carrying it (facturx.py).

Only readiness.py is imported by the engine's domain code; the others load their libraries
(drafthorse, factur-x, lxml) when an e-invoice is actually made.
"""

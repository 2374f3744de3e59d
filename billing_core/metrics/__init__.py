"""Is billing getting faster and cleaner? Pure metrics over invoices, payments, decisions and
records, per period and per currency (never summed across currencies).

- facts.py: the rows they are computed from;
- money_flow.py: issued, paid, outstanding, overdue aging;
- work_flow.py: cycle time, corrections, payment turnaround, uninvoiced work;
- report.py: all of them for one month; render.py: as JSON, CSV rows and text.
"""

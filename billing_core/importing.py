"""Reading record files: a JSON array of record objects, or CSV with one row per line item.

`iter_records_file(name, text)` yields the file's records and, once it has read the whole file,
raises ImportFailed listing each bad row by line number and field; a caller that writes what it
yields inside one transaction (`Records.import_records`) therefore imports all or nothing
while holding only a batch of records at a time. `parse_records_file` is the list of them.

CSV columns (header row required; only `id` is mandatory, unknown columns are refused):
    id, kind, title, owner, client_name, client_email, client_address, client_country,
    client_tax_id, scope_ref, currency, due_date, completed_at, payment_terms_days, amount,
    description, quantity, unit_price, tax_rate, tax_category, tax_exemption_reason
Rows sharing an `id` form one record (its line items in file order); record-level columns may
be left blank on the later rows, and must not contradict the first.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from billing_core.errors import ImportFailed, RecordInvalid
from billing_core.records import Record, parse_record

CSV_RECORD_COLUMNS = (
    "id", "kind", "title", "owner", "scope_ref", "currency", "due_date", "completed_at",
    "payment_terms_days", "amount",
)  # fmt: skip
CSV_CLIENT_COLUMNS = ("name", "email", "address", "country", "tax_id")
CSV_LINE_COLUMNS = (
    "description", "quantity", "unit_price", "tax_rate", "tax_category", "tax_exemption_reason",
)  # fmt: skip
CSV_COLUMNS = (
    *CSV_RECORD_COLUMNS,
    *(f"client_{c}" for c in CSV_CLIENT_COLUMNS),
    *CSV_LINE_COLUMNS,
)
# 100,000 typical records are about 60 MB of indented JSON; this leaves room for 3x that.
MAX_FILE_BYTES = 200 * 1024 * 1024


def parse_records_file(name: str, text: str) -> list[Record]:
    """Every record of a file, or ImportFailed; see iter_records_file."""
    return list(iter_records_file(name, text))


def iter_records_file(name: str, text: str) -> Iterator[Record]:
    """The records of a file, JSON if it starts with '[' (or is named .json), else CSV.

    Raises ImportFailed, after the last good record, listing every problem (each with its
    line) when there is any; the records yielded before then must be discarded."""
    # A str of n characters is at most 4n UTF-8 bytes: encode only when that could matter.
    if (
        len(text) * 4 > MAX_FILE_BYTES
        and len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES
    ):
        raise ImportFailed([f"{name}: file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB"])
    text = text.lstrip("\ufeff")
    if text.lstrip().startswith("[") or name.lower().endswith(".json"):
        yield from _parse_json(name, text)
    else:
        yield from _parse_csv(name, text)


def _parse_json(name: str, text: str) -> Iterator[Record]:
    """Walk the array element by element so each problem carries the element's line; each
    element becomes a Record at once and is handed on (the parsed dicts are not kept), and
    line numbers are counted forward from the previous element, so the walk is linear in
    the file's size."""
    # JSON numbers stay floats here; parse_record then refuses them by field name.
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    line, counted = 1, 0  # the line of `counted`, moved forward as the walk goes on

    def line_at(offset: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, offset)
        counted = offset
        return line

    if pos >= len(text) or text[pos] != "[":
        raise ImportFailed([f"{name}: line {line_at(pos)}: expected a JSON array of records"])
    pos = _skip_ws(text, pos + 1)
    problems: list[str] = []
    first_seen: dict[str, int] = {}
    try:
        if pos < len(text) and text[pos] == "]":
            pos += 1
        else:
            while True:
                start_line = line_at(pos)
                value, pos = decoder.raw_decode(text, pos)
                record = _parse_one(name, start_line, value, problems, first_seen)
                if record is not None and not problems:
                    yield record
                pos = _skip_ws(text, pos)
                if pos < len(text) and text[pos] == ",":
                    pos = _skip_ws(text, pos + 1)
                    continue
                if pos < len(text) and text[pos] == "]":
                    pos += 1
                    break
                raise json.JSONDecodeError("expected ',' or ']'", text, pos)
    except json.JSONDecodeError as exc:
        raise ImportFailed([f"{name}: line {exc.lineno}: not valid JSON ({exc.msg})"]) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ImportFailed([f"{name}: line {line_at(pos)}: not valid JSON ({exc})"]) from None
    if _skip_ws(text, pos) != len(text):
        raise ImportFailed([f"{name}: line {line_at(pos)}: unexpected text after the array"])
    if problems:
        raise ImportFailed(problems)


def _parse_one(
    name: str, line: int, element: Any, problems: list[str], first_seen: dict[str, int]
) -> Record | None:
    """One array element as a Record, or None with its problems added to `problems`."""
    try:
        record = parse_record(element)
    except RecordInvalid as exc:
        where = f"record {exc.record_id}" if exc.record_id else "record"
        problems.extend(f"{name}: line {line}: {where}: {p}" for p in exc.problems)
        return None
    if record.id in first_seen:
        problems.append(
            f"{name}: line {line}: record {record.id}: id: "
            f"already used on line {first_seen[record.id]}"
        )
        return None
    first_seen[record.id] = line
    return record


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _parse_csv(name: str, text: str) -> list[Record]:
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        raise ImportFailed([f"{name}: line 1: not valid CSV ({exc})"]) from None
    if not header:
        raise ImportFailed([f"{name}: the file is empty"])
    header = [h.strip() for h in header]
    reader.fieldnames = header
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown or "id" not in header:
        reason = f"unknown column {unknown[0]!r}" if unknown else "missing column 'id'"
        raise ImportFailed([f"{name}: line 1: {reason} (columns: {', '.join(CSV_COLUMNS)})"])

    grouped: dict[str, dict[str, Any]] = {}
    first_line: dict[str, int] = {}
    item_lines: dict[str, list[int]] = {}  # CSV line of each line item, per record
    problems: list[str] = []
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                problems.append(f"{name}: line {line}: more values than columns")
                continue
            values = {k: (v or "").strip() for k, v in row.items()}
            if not any(values.values()):
                continue
            record_id = values.get("id", "")
            if not record_id:
                problems.append(f"{name}: line {line}: id: missing")
                continue
            obj = grouped.setdefault(record_id, {"id": record_id})
            first_line.setdefault(record_id, line)
            conflicts, has_item = _merge(obj, values)
            problems.extend(f"{name}: line {line}: record {record_id}: {p}" for p in conflicts)
            if has_item:
                item_lines.setdefault(record_id, []).append(line)
    except csv.Error as exc:
        raise ImportFailed([f"{name}: line {reader.line_num}: not valid CSV ({exc})"]) from None

    records = []
    for record_id, obj in grouped.items():
        try:
            records.append(parse_record(obj))
        except RecordInvalid as exc:
            lines = item_lines.get(record_id, [])
            problems.extend(
                f"{name}: line {_problem_line(p.field, lines, first_line[record_id])}: "
                f"record {record_id}: {p}"
                for p in exc.problems
            )
    if problems:
        raise ImportFailed(problems)
    return records


def _merge(obj: dict[str, Any], values: dict[str, str]) -> tuple[list[str], bool]:
    """Fold one CSV row into its record object; returns (conflicts, whether it added a line)."""
    conflicts = []
    for column in CSV_RECORD_COLUMNS:
        value = values.get(column, "")
        if not value or column == "id":
            continue
        parsed: Any = int(value) if column == "payment_terms_days" and value.isdigit() else value
        if column in obj and obj[column] != parsed:
            conflicts.append(f"{column}: {value!r} contradicts {obj[column]!r} on an earlier row")
        obj[column] = parsed
    client = obj.setdefault("client", {})
    for column in CSV_CLIENT_COLUMNS:
        # Multi-line addresses may be written with a literal \n in a one-line cell.
        value = values.get(f"client_{column}", "").replace("\\n", "\n")
        if not value:
            continue
        if column in client and client[column] != value:
            conflicts.append(f"client_{column}: contradicts an earlier row")
        client[column] = value
    line = {c: values[c] for c in CSV_LINE_COLUMNS if values.get(c)}
    if line:
        obj.setdefault("line_items", []).append(line)
    return conflicts, bool(line)


def _problem_line(field: str, item_lines: list[int], default: int) -> int:
    """The CSV line a problem is on: the line item's own row for line_items[n] fields."""
    if field.startswith("line_items["):
        index = int(field[len("line_items[") : field.index("]")])
        if index < len(item_lines):
            return item_lines[index]
    return default

"""Bulk import of units and accounts from an Excel workbook: the template, the reading and the
validation. Nothing here writes to the database; ``services.org_import_apply`` does that.

The file format is an interface, like a code: the column titles are fixed bilingual constants
(a Chinese line and an English line) and do not follow the interface language, so that a
template downloaded in one language can be uploaded in the other. Cell values such as unit
types and roles are accepted as stable codes, as Chinese names or as English labels.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import gettext as _

from xiaoneng.org.choices import ADMIN_ROLES, Role, UnitKind
from xiaoneng.org.models import User
from xiaoneng.org.selectors import unit_code_map, usernames_existing

#: Uploads larger than this are refused before they are opened.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: At most this many unit rows per file.
MAX_UNIT_ROWS = 5000
#: At most this many account rows per file: every password is hashed with a deliberately slow
#: function (about 0.2 s each), so larger lists are imported in several files.
MAX_STAFF_ROWS = 500
#: Reading stops after this many errors; the page lists them all.
MAX_ERRORS = 500

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

UNITS_SHEET_TITLE = "单位 Units"
STAFF_SHEET_TITLE = "人员 Staff"
NOTES_SHEET_TITLE = "说明 Notes"


@dataclass(frozen=True)
class Column:
    key: str
    title_zh: str
    title_en: str
    required: bool = False
    width: int = 16


# Required columns carry a "*" in the template; the reader ignores it.
UNIT_COLUMNS: tuple[Column, ...] = (
    Column("code", "编码*", "Code*", True, 16),
    Column("name", "名称*", "Name*", True, 30),
    Column("short_name", "简称", "Short name", False, 16),
    Column("kind", "类型*", "Type*", True, 14),
    Column("parent_code", "上级编码", "Parent code", False, 16),
    Column("order", "排序", "Order", False, 8),
)
STAFF_COLUMNS: tuple[Column, ...] = (
    Column("username", "登录名*", "Login name*", True, 16),
    Column("name", "姓名*", "Name*", True, 12),
    Column("phone", "手机", "Phone", False, 16),
    Column("email", "电子邮箱", "E-mail", False, 26),
    Column("unit_code", "单位编码*", "Unit code*", True, 16),
    Column("title", "职务", "Post", False, 14),
    Column("roles", "角色", "Roles", False, 26),
    Column("password", "初始密码", "Initial password", False, 18),
)

#: The example row of each sheet; a row whose first two cells equal these is skipped.
UNIT_EXAMPLE = {"code": "EXAMPLE-01", "name": "示例单位 Example unit"}
STAFF_EXAMPLE = {"username": "example.user", "name": "示例 Example"}

#: Chinese names accepted for the unit types and roles besides their codes and their labels
#: in each interface language (the first name is the one the template shows).
UNIT_KIND_NAMES_ZH: dict[str, tuple[str, ...]] = {
    UnitKind.DISTRICT: ("区县", "区", "县", "市辖区"),
    UnitKind.DEPARTMENT: ("部门", "局", "委办局", "区直部门"),
    UnitKind.TOWN: ("镇", "乡镇", "乡"),
    UnitKind.SUBDISTRICT: ("街道", "街道办事处", "街道办"),
    UnitKind.SECTION: ("科室", "股室", "科", "内设机构"),
    UnitKind.OTHER: ("其他", "其它"),
}
ROLE_NAMES_ZH: dict[str, tuple[str, ...]] = {
    Role.INTAKE_CLERK: ("受理员",),
    Role.SUPERVISOR: ("督办员",),
    Role.OFFICE_DIRECTOR: ("效能办主任", "主任"),
    Role.UNIT_LIAISON: ("单位联络员", "联络员"),
    Role.HANDLER: ("承办人", "承办员"),
    Role.UNIT_HEAD: ("单位负责人", "负责人"),
    Role.INSPECTOR: ("效能监督员", "监督员"),
    Role.LEADER: ("区领导", "领导"),
    Role.SYSTEM_ADMIN: ("系统管理员",),
    Role.SECURITY_ADMIN: ("安全管理员",),
    Role.AUDIT_ADMIN: ("审计管理员",),
}
BUSINESS_ROLES: tuple[str, ...] = tuple(r for r in Role.values if r not in ADMIN_ROLES)

#: Reading a sheet stops after this many empty rows in a row.
_MAX_EMPTY_RUN = 2000
_ROLE_SEPARATORS = re.compile(r"[,，、;；\n]+")


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem, placed by sheet and spreadsheet row (``row`` is None for the whole sheet)."""

    sheet: str
    row: int | None
    message: str


@dataclass
class UnitRow:
    sheet: str
    row: int
    code: str
    name: str
    short_name: str
    kind: str
    parent_code: str
    order: int
    exists: bool = False


@dataclass
class StaffRow:
    sheet: str
    row: int
    username: str
    name: str
    phone: str
    email: str
    unit_code: str
    title: str
    roles: list[str]
    password: str
    exists: bool = False


@dataclass
class ParsedImport:
    """What a workbook holds: unit rows in dependency order (parents first), account rows,
    and every error found. Nothing may be written while ``errors`` is not empty."""

    units: list[UnitRow] = field(default_factory=list)
    staff: list[StaffRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def is_empty(self) -> bool:
        return not self.units and not self.staff


# --- normalisation -----------------------------------------------------------------------


def _norm(text: str) -> str:
    """Lower case without spaces, hyphens, underscores or the required-column star."""
    return re.sub(r"[\s\-_*＊]+", "", str(text)).lower()


def _labels(choices, code: str) -> set[str]:
    labels = {code, str(choices(code).label)}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            labels.add(str(choices(code).label))
    return labels


def unit_kind_lookup() -> dict[str, str]:
    """{normalised code, label or Chinese name: unit type code}."""
    lookup: dict[str, str] = {}
    for code in UnitKind.values:
        for name in _labels(UnitKind, code) | set(UNIT_KIND_NAMES_ZH.get(code, ())):
            lookup[_norm(name)] = code
    return lookup


def role_lookup() -> dict[str, str]:
    """{normalised code, label or Chinese name: role code}."""
    lookup: dict[str, str] = {}
    for code in Role.values:
        for name in _labels(Role, code) | set(ROLE_NAMES_ZH.get(code, ())):
            lookup[_norm(name)] = code
    return lookup


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# --- reading -----------------------------------------------------------------------------


def _header_map(cells: Iterable, columns: tuple[Column, ...]) -> dict[int, str]:
    """{column index: column key} for the header cells that name a known column."""
    names: dict[str, str] = {}
    for column in columns:
        for name in (column.key, column.title_zh, column.title_en):
            names[_norm(name)] = column.key
    found: dict[int, str] = {}
    for index, value in enumerate(cells):
        key = names.get(_norm(_cell_text(value)))
        if key and key not in found.values():
            found[index] = key
    return found


@dataclass
class _Sheet:
    title: str
    rows: list[tuple[int, dict[str, str]]]


def _read_sheet(ws, columns: tuple[Column, ...], max_rows: int, errors: list[RowError]) -> _Sheet:
    """The data rows of one sheet as {column key: text}, keyed by spreadsheet row number.

    Row 1 holds the column titles; when row 2 repeats them (the English line of the
    template) the data starts on row 3. Empty rows and the template's example row are skipped.
    """
    title = ws.title
    sheet = _Sheet(title=title, rows=[])
    width = len(columns) + 10
    iterator = ws.iter_rows(min_row=1, max_col=width, values_only=True)
    header = next(iterator, None)
    if header is None:
        return sheet
    mapping = _header_map(header, columns)
    missing = [c for c in columns if c.required and c.key not in mapping.values()]
    if missing:
        errors.append(
            RowError(
                title,
                1,
                _("The first row must hold the column titles; missing: %(columns)s.")
                % {"columns": "、".join(f"{c.title_zh} {c.title_en}" for c in missing)},
            )
        )
        return sheet
    example = UNIT_EXAMPLE if columns is UNIT_COLUMNS else STAFF_EXAMPLE
    count = empty = 0
    for number, values in enumerate(iterator, start=2):
        row = {key: _cell_text(values[i]) if i < len(values) else "" for i, key in mapping.items()}
        if not any(row.values()):
            empty += 1
            if empty > _MAX_EMPTY_RUN:
                break  # formatted but empty rows down to the bottom of the sheet
            continue
        empty = 0
        if number == 2 and len(_header_map(values, columns)) >= max(1, len(mapping) // 2):
            continue  # the second title line
        if all(row.get(k) == v for k, v in example.items()):
            continue
        count += 1
        if count > max_rows:
            errors.append(
                RowError(
                    title,
                    number,
                    _("The sheet has more than %(max)d rows; split it into several files.")
                    % {"max": max_rows},
                )
            )
            break
        sheet.rows.append((number, row))
    return sheet


def _find_sheet(workbook, *names: str):
    for ws in workbook.worksheets:
        normalised = _norm(ws.title)
        if any(_norm(name) in normalised for name in names):
            return ws
    return None


def read_workbook(fileobj) -> tuple[_Sheet | None, _Sheet | None, list[RowError]]:
    """Open the upload and read its two sheets. A file that is not an Excel workbook gives
    one error, never an exception."""
    import openpyxl

    errors: list[RowError] = []
    file_label = _("File")
    try:
        fileobj.seek(0)
        head = fileobj.read(4)
        fileobj.seek(0)
        if head != b"PK\x03\x04":
            raise zipfile.BadZipFile
        workbook = openpyxl.load_workbook(fileobj, read_only=True, data_only=True)
    except Exception:  # any failure to open means "not a workbook we can read"
        errors.append(
            RowError(
                file_label,
                None,
                _(
                    "The file is not an Excel workbook (.xlsx) that can be read. Save it as "
                    "an .xlsx workbook, preferably starting from the template, and try again."
                ),
            )
        )
        return None, None, errors
    try:
        units_ws = _find_sheet(workbook, "单位", "units")
        staff_ws = _find_sheet(workbook, "人员", "staff")
        if units_ws is None and staff_ws is None:
            errors.append(
                RowError(
                    file_label,
                    None,
                    _(
                        "The workbook has neither a sheet named “%(units)s” "
                        "nor one named “%(staff)s”."
                    )
                    % {"units": UNITS_SHEET_TITLE, "staff": STAFF_SHEET_TITLE},
                )
            )
            return None, None, errors
        try:
            units = staff = None
            if units_ws is not None:
                units = _read_sheet(units_ws, UNIT_COLUMNS, MAX_UNIT_ROWS, errors)
            if staff_ws is not None:
                staff = _read_sheet(staff_ws, STAFF_COLUMNS, MAX_STAFF_ROWS, errors)
        except Exception:  # a damaged sheet inside a valid zip
            message = _("The workbook is damaged and cannot be read.")
            errors.append(RowError(file_label, None, message))
            return None, None, errors
    finally:
        workbook.close()
    return units, staff, errors


# --- validation (pure: everything it needs from the database is passed in) ----------------


@dataclass(frozen=True)
class ExistingUnit:
    code: str
    parent_code: str
    kind: str
    is_active: bool


def _check_length(value: str, limit: int, label: str, errors: list[str]) -> None:
    if len(value) > limit:
        errors.append(
            _("%(field)s is longer than %(max)d characters.") % {"field": label, "max": limit}
        )


def validate_units(
    sheet: _Sheet, *, existing: dict[str, ExistingUnit]
) -> tuple[list[UnitRow], list[RowError]]:
    """Check every unit row and put the rows in dependency order (parents first)."""
    kinds = unit_kind_lookup()
    errors: list[RowError] = []
    rows: list[UnitRow] = []
    seen: dict[str, int] = {}
    for number, cells in sheet.rows:
        problems: list[str] = []
        code, name = cells.get("code", ""), cells.get("name", "")
        short_name, parent_code = cells.get("short_name", ""), cells.get("parent_code", "")
        if not code:
            problems.append(_("The code is missing."))
        elif code in seen:
            problems.append(
                _("The code %(code)s is already used on row %(row)d.")
                % {"code": code, "row": seen[code]}
            )
        if not name:
            problems.append(_("The name is missing."))
        _check_length(code, 32, _("The code"), problems)
        _check_length(name, 100, _("The name"), problems)
        _check_length(short_name, 30, _("The short name"), problems)
        kind_text = cells.get("kind", "")
        kind = kinds.get(_norm(kind_text)) if kind_text else None
        if not kind_text:
            problems.append(_("The unit type is missing."))
        elif kind is None:
            problems.append(_("Unknown unit type: %(value)s") % {"value": kind_text})
        order_text = cells.get("order", "")
        order = 0
        if order_text:
            try:
                order = int(float(order_text))
                if order < 0 or order != float(order_text):
                    raise ValueError
            except ValueError:
                problems.append(_("The order must be a whole number, 0 or more."))
                order = 0
        if kind == UnitKind.DISTRICT and parent_code:
            problems.append(_("A district is the top of the tree and has no parent unit."))
        if code:
            seen.setdefault(code, number)
        for message in problems:
            errors.append(RowError(sheet.title, number, message))
        if not problems:
            rows.append(
                UnitRow(
                    sheet=sheet.title,
                    row=number,
                    code=code,
                    name=name,
                    short_name=short_name,
                    kind=kind,
                    parent_code=parent_code,
                    order=order,
                    exists=code in existing,
                )
            )
    parents = {code: unit.parent_code for code, unit in existing.items()}
    for row in rows:
        parents[row.code] = row.parent_code
    good: list[UnitRow] = []
    for row in rows:
        if row.parent_code and row.parent_code not in parents and row.parent_code in seen:
            continue  # the parent's row has errors of its own, reported there
        if row.parent_code and row.parent_code not in parents:
            errors.append(
                RowError(
                    row.sheet,
                    row.row,
                    _("The parent code %(code)s is neither in the sheet nor in the unit tree.")
                    % {"code": row.parent_code},
                )
            )
            continue
        if _in_cycle(row.code, parents):
            errors.append(
                RowError(
                    row.sheet,
                    row.row,
                    _(
                        "The parent codes form a loop: a unit cannot be placed under itself "
                        "or its own sections."
                    ),
                )
            )
            continue
        good.append(row)
    return _dependency_order(good), errors


def _in_cycle(code: str, parents: dict[str, str]) -> bool:
    """Whether following the parents up from ``code`` leads back to ``code``."""
    visited: set[str] = set()
    current = parents.get(code, "")
    while current and current not in visited:
        if current == code:
            return True
        visited.add(current)
        current = parents.get(current, "")
    return False


def _dependency_order(rows: list[UnitRow]) -> list[UnitRow]:
    by_code = {row.code: row for row in rows}
    ordered: list[UnitRow] = []
    done: set[str] = set()

    def visit(row: UnitRow) -> None:
        stack = []
        current: UnitRow | None = row
        while current is not None and current.code not in done:
            stack.append(current)
            current = by_code.get(current.parent_code)
        for item in reversed(stack):
            if item.code not in done:
                done.add(item.code)
                ordered.append(item)

    for row in rows:
        visit(row)
    return ordered


def parse_roles(text: str, lookup: dict[str, str]) -> tuple[list[str], list[str]]:
    """(role codes, problems) for a cell listing roles separated by , ， 、 or ;."""
    roles: list[str] = []
    problems: list[str] = []
    for part in _ROLE_SEPARATORS.split(text):
        part = part.strip()
        if not part:
            continue
        code = lookup.get(_norm(part))
        if code is None:
            problems.append(_("Unknown role: %(role)s") % {"role": part})
        elif code in ADMIN_ROLES:
            problems.append(
                _(
                    "The administrator role %(role)s cannot be granted by import; the "
                    "security administrator grants it on the account's page."
                )
                % {"role": Role(code).label}
            )
        elif code not in roles:
            roles.append(code)
    return roles, problems


def validate_staff(
    sheet: _Sheet,
    *,
    unit_active: dict[str, bool],
    existing_usernames: set[str],
) -> tuple[list[StaffRow], list[RowError]]:
    """Check every account row. ``unit_active`` maps every unit code known after the import
    (the tree and the units sheet) to whether the unit is active."""
    roles_lookup = role_lookup()
    username_field = User._meta.get_field("username")
    errors: list[RowError] = []
    rows: list[StaffRow] = []
    seen: dict[str, int] = {}
    for number, cells in sheet.rows:
        problems: list[str] = []
        username, name = cells.get("username", ""), cells.get("name", "")
        phone, email = cells.get("phone", ""), cells.get("email", "")
        unit_code, title = cells.get("unit_code", ""), cells.get("title", "")
        password = cells.get("password", "")
        if not username:
            problems.append(_("The login name is missing."))
        elif username in seen:
            problems.append(
                _("The login name %(username)s is already used on row %(row)d.")
                % {"username": username, "row": seen[username]}
            )
        else:
            try:
                username_field.run_validators(username)
            except ValidationError as exc:
                problems.extend(exc.messages)
            _check_length(username, 64, _("The login name"), problems)
        if not name:
            problems.append(_("The name is missing."))
        _check_length(name, 64, _("The name"), problems)
        _check_length(phone, 32, _("The phone number"), problems)
        _check_length(title, 64, _("The post"), problems)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(_("The e-mail address %(email)s is not valid.") % {"email": email})
        if not unit_code:
            problems.append(_("The unit code is missing."))
        elif unit_code not in unit_active:
            problems.append(
                _("The unit code %(code)s is neither in the units sheet nor in the unit tree.")
                % {"code": unit_code}
            )
        elif not unit_active[unit_code]:
            problems.append(_("The unit %(code)s is deactivated.") % {"code": unit_code})
        roles, role_problems = parse_roles(cells.get("roles", ""), roles_lookup)
        problems.extend(role_problems)
        exists = username in existing_usernames
        if password and not exists:
            try:
                validate_password(password, User(username=username, name=name, email=email))
            except ValidationError as exc:
                problems.extend(exc.messages)
        if username:
            seen.setdefault(username, number)
        for message in problems:
            errors.append(RowError(sheet.title, number, message))
        if not problems:
            rows.append(
                StaffRow(
                    sheet=sheet.title,
                    row=number,
                    username=username,
                    name=name,
                    phone=phone,
                    email=email,
                    unit_code=unit_code,
                    title=title,
                    roles=roles,
                    password=password,
                    exists=exists,
                )
            )
    return rows, errors


def import_parse(fileobj) -> ParsedImport:
    """Read and validate an uploaded workbook against the current unit tree and accounts."""
    parsed = ParsedImport()
    size = getattr(fileobj, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        parsed.errors.append(
            RowError(
                _("File"),
                None,
                _("The file is larger than %(size)d MB.")
                % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)},
            )
        )
        return parsed
    units_sheet, staff_sheet, errors = read_workbook(fileobj)
    parsed.errors.extend(errors)
    if errors:
        return parsed
    tree = unit_code_map()
    existing = {
        code: ExistingUnit(
            code=code,
            parent_code=unit.parent.code if unit.parent_id else "",
            kind=unit.kind,
            is_active=unit.is_active,
        )
        for code, unit in tree.items()
    }
    if units_sheet is not None:
        parsed.units, errors = validate_units(units_sheet, existing=existing)
        parsed.errors.extend(errors)
    if staff_sheet is not None:
        unit_active = {code: unit.is_active for code, unit in existing.items()}
        if units_sheet is not None:
            for _number, cells in units_sheet.rows:
                code = cells.get("code", "")
                if code and code not in unit_active:
                    unit_active[code] = True
        usernames = {cells.get("username", "") for _n, cells in staff_sheet.rows} - {""}
        parsed.staff, errors = validate_staff(
            staff_sheet,
            unit_active=unit_active,
            existing_usernames=usernames_existing(usernames=usernames),
        )
        parsed.errors.extend(errors)
    if not parsed.errors and parsed.is_empty:
        parsed.errors.append(RowError(_("File"), None, _("The workbook holds no rows to import.")))
    rank = {sheet.title: n for n, sheet in enumerate((units_sheet, staff_sheet)) if sheet}
    parsed.errors.sort(key=lambda e: (rank.get(e.sheet, -1), e.row or 0))
    del parsed.errors[MAX_ERRORS:]
    return parsed


# --- workbooks we produce ----------------------------------------------------------------


def _style_header(ws, columns: tuple[Column, ...]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    grey = Font(italic=True, color="666666")
    fill = PatternFill("solid", fgColor="F3E3E2")
    for index, column in enumerate(columns, start=1):
        top = ws.cell(row=1, column=index, value=column.title_zh)
        top.font, top.fill = bold, fill
        second = ws.cell(row=2, column=index, value=column.title_en)
        second.font, second.fill = grey, fill
        if column.required:
            top.comment = Comment(_("Required."), "Xiaoneng")
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
        for row in range(1, 3):
            ws.cell(row=row, column=index).alignment = Alignment(vertical="center")
    ws.freeze_panes = "A3"


def _text_columns(ws, columns: tuple[Column, ...], keys: set[str], rows: int = 2000) -> None:
    """Format code and phone columns as text, so that Excel keeps leading zeros."""
    for index, column in enumerate(columns, start=1):
        if column.key in keys:
            for row in range(3, rows + 3):
                ws.cell(row=row, column=index).number_format = "@"


def _column_letter(columns: tuple[Column, ...], key: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter([c.key for c in columns].index(key) + 1)


def import_template_build() -> bytes:
    """The import template: a units sheet, a staff sheet and a sheet of notes, each data sheet
    with a Chinese and an English title line and one grey example row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    example_font = Font(italic=True, color="888888")
    workbook = Workbook()
    units = workbook.active
    units.title = UNITS_SHEET_TITLE
    _style_header(units, UNIT_COLUMNS)
    _text_columns(units, UNIT_COLUMNS, {"code", "parent_code"})
    unit_example = {
        **UNIT_EXAMPLE,
        "short_name": "示例",
        "kind": str(UnitKind.SECTION.label),
        "parent_code": "",
        "order": 10,
    }
    for index, column in enumerate(UNIT_COLUMNS, start=1):
        cell = units.cell(row=3, column=index, value=unit_example[column.key])
        cell.font = example_font
    kinds = DataValidation(
        type="list",
        formula1='"' + ",".join(str(label) for label in UnitKind.labels) + '"',
        allow_blank=True,
        showErrorMessage=False,
        showInputMessage=True,
        prompt=_("Pick a type, or type its code or its Chinese or English name."),
    )
    kind_col = _column_letter(UNIT_COLUMNS, "kind")
    kinds.add(f"{kind_col}3:{kind_col}{MAX_UNIT_ROWS + 2}")
    units.add_data_validation(kinds)

    staff = workbook.create_sheet(STAFF_SHEET_TITLE)
    _style_header(staff, STAFF_COLUMNS)
    _text_columns(staff, STAFF_COLUMNS, {"username", "phone", "unit_code", "password"})
    staff_example = {
        **STAFF_EXAMPLE,
        "phone": "13800000000",
        "email": "example@example.gov.cn",
        "unit_code": UNIT_EXAMPLE["code"],
        "title": "科员",
        "roles": str(Role.HANDLER.label),
        "password": "",
    }
    for index, column in enumerate(STAFF_COLUMNS, start=1):
        cell = staff.cell(row=3, column=index, value=staff_example[column.key])
        cell.font = example_font
    roles = DataValidation(
        type="list",
        formula1='"' + ",".join(str(Role(r).label) for r in BUSINESS_ROLES) + '"',
        allow_blank=True,
        showErrorMessage=False,
        showInputMessage=True,
        prompt=_("Pick a role, or type several separated by commas."),
    )
    role_col = _column_letter(STAFF_COLUMNS, "roles")
    roles.add(f"{role_col}3:{role_col}{MAX_STAFF_ROWS + 2}")
    staff.add_data_validation(roles)

    notes = workbook.create_sheet(NOTES_SHEET_TITLE)
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 22
    notes.column_dimensions["C"].width = 30
    lines: list[tuple] = [
        (_("How to fill in this workbook"),),
        (
            _(
                "Fill in the sheets “%(units)s” and “%(staff)s” from row 3; rows 1 and 2 are "
                "the column titles."
            )
            % {"units": UNITS_SHEET_TITLE, "staff": STAFF_SHEET_TITLE},
        ),
        (_("The grey example row is ignored; you may delete it."),),
        (_("Columns marked * are required."),),
        (_("A parent unit may be listed below its sections; existing unit codes are updated."),),
        (_("Existing login names are skipped and reported; their accounts are not changed."),),
        (_("Separate several roles with commas. Administrator roles cannot be imported."),),
        (
            _(
                "An empty initial password is generated and shown once after the import; everyone "
                "must change the password at the first sign-in."
            ),
        ),
        (),
        (_("Unit types"),),
        (_("Code"), "中文", "English"),
    ]
    bold_rows = [1, len(lines) - 1, len(lines)]
    for code in UnitKind.values:
        with translation.override("en"):
            english = str(UnitKind(code).label)
        lines.append((code, UNIT_KIND_NAMES_ZH[code][0], english))
    lines += [(), (_("Roles"),), (_("Code"), "中文", "English")]
    bold_rows += [len(lines) - 1, len(lines)]
    for code in BUSINESS_ROLES:
        with translation.override("en"):
            english = str(Role(code).label)
        lines.append((code, ROLE_NAMES_ZH[code][0], english))
    for number, line in enumerate(lines, start=1):
        for column, value in enumerate(line, start=1):
            notes.cell(row=number, column=column, value=value)
    for row in bold_rows:
        for cell in notes[row]:
            cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def passwords_workbook_build(rows: Iterable[dict[str, str]]) -> bytes:
    """A one-sheet workbook of the generated initial passwords, for handing them out."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    ws = workbook.active
    ws.title = "初始密码 Passwords"
    ws.append(["登录名", "姓名", "单位编码", "初始密码"])
    ws.append(["Login name", "Name", "Unit code", "Initial password"])
    for cell in (*ws[1], *ws[2]):
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([row["username"], row["name"], row["unit_code"], row["password"]])
    for letter, width in zip("ABCD", (18, 14, 16, 22), strict=True):
        ws.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

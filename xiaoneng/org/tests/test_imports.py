import io
import zipfile

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from xiaoneng.org import imports
from xiaoneng.org.choices import Role, UnitKind
from xiaoneng.org.imports import ParsedImport, StaffRow, UnitRow, role_lookup, unit_kind_lookup
from xiaoneng.org.models import Unit, User
from xiaoneng.org.services import ImportApplyError, org_import_apply
from xiaoneng.org.tests.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

UNITS = "单位 Units"
STAFF = "人员 Staff"


@pytest.fixture
def admin_client(client, sysadmin):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(sysadmin)
    return client


def fill_template(client, units=(), staff=()) -> SimpleUploadedFile:
    """Download the template, append rows below the example, as a person would."""
    response = client.get(reverse("org:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == imports.XLSX_CONTENT_TYPE
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    for title, rows in ((UNITS, units), (STAFF, staff)):
        ws = workbook[title]
        for offset, row in enumerate(rows):
            for column, value in enumerate(row, start=1):
                ws.cell(row=4 + offset, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(
        "people.xlsx", buffer.getvalue(), content_type=imports.XLSX_CONTENT_TYPE
    )


def upload(client, file):
    return client.post(reverse("org:import"), {"file": file})


def error_places(response) -> list[tuple[str, int | None]]:
    return [(e.sheet, e.row) for e in response.context["errors"]]


# Rows 4, 5, 6 of the units sheet: the section comes before its parent department.
UNIT_ROWS = [
    ("TZ-JYJ-BGS", "区教育局办公室", "", "科室", "TZ-JYJ", 1),
    ("TZ-JYJ", "天洲区教育局", "区教育局", "Department", "TZ", 20),
    ("TZ-HXZ", "花溪镇", "", "town", "TZ", 30),
]
# Rows 4, 5, 6 of the staff sheet.
STAFF_ROWS = [
    (
        "wangwu",
        "王五",
        "13900000001",
        "ww@example.gov.cn",
        "TZ-JYJ",
        "科员",
        "承办人、单位联络员",
        "",
    ),
    ("zhaoliu", "赵六", "", "", "TZ-JYJ-BGS", "科长", "Unit head, handler", "Own-pass#2026x"),
    ("qianqi", "钱七", 13900000003, "", "TZ-RSJ", "", "leader", None),
]


class TestRoundTrip:
    def test_template_filled_and_uploaded_creates_units_and_staff(self, admin_client, unit_a):
        response = upload(admin_client, fill_template(admin_client, UNIT_ROWS, STAFF_ROWS))
        assert response.status_code == 200
        assert response.context["errors"] is None
        result = response.context["result"]
        assert sorted(result.units_created) == ["TZ-HXZ", "TZ-JYJ", "TZ-JYJ-BGS"]

        department = Unit.objects.get(code="TZ-JYJ")
        section = Unit.objects.get(code="TZ-JYJ-BGS")
        town = Unit.objects.get(code="TZ-HXZ")
        assert (department.parent.code, department.kind, department.short_name) == (
            "TZ",
            UnitKind.DEPARTMENT,
            "区教育局",
        )
        assert (section.parent, section.kind, section.order) == (department, UnitKind.SECTION, 1)
        assert (town.parent.code, town.kind) == ("TZ", UnitKind.TOWN)
        assert not Unit.objects.filter(code=imports.UNIT_EXAMPLE["code"]).exists()

        wangwu = User.objects.get(username="wangwu")
        assert wangwu.unit == department
        assert wangwu.roles == {Role.HANDLER, Role.UNIT_LIAISON}
        assert wangwu.must_change_password
        zhaoliu = User.objects.get(username="zhaoliu")
        assert zhaoliu.unit == section
        assert zhaoliu.roles == {Role.UNIT_HEAD, Role.HANDLER}
        assert zhaoliu.check_password("Own-pass#2026x")
        qianqi = User.objects.get(username="qianqi")
        assert (qianqi.unit, qianqi.phone, qianqi.roles) == (unit_a, "13900000003", {Role.LEADER})
        assert not User.objects.filter(username=imports.STAFF_EXAMPLE["username"]).exists()

        shown = {item["username"]: item["password"] for item in result.passwords}
        assert set(shown) == {"wangwu", "qianqi"}  # zhaoliu's password was in the sheet
        assert wangwu.check_password(shown["wangwu"])
        assert shown["wangwu"] in response.content.decode()
        assert "no-store" in response["Cache-Control"]
        assert response.context["passwords_xlsx"]

    def test_sheet_with_english_titles_only_and_codes(self, admin_client, district):
        workbook = openpyxl.Workbook()
        ws = workbook.active
        ws.title = "Units"
        ws.append(["Parent code", "Code", "Name", "Type"])
        ws.append(["TZ", "TZ-JD1", "城东街道", "Sub-district"])
        ws.append(["TZ", "TZ-JD2", "城西街道", "街道"])
        ws.append(["TZ", "TZ-QT", "其他单位", "pgettext-free other"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = upload(admin_client, SimpleUploadedFile("u.xlsx", buffer.getvalue()))
        assert error_places(response) == [("Units", 4)]
        assert "Unknown unit type" in response.context["errors"][0].message
        assert not Unit.objects.filter(code__startswith="TZ-JD").exists()


class TestErrors:
    def test_one_bad_row_writes_nothing_and_names_sheet_and_row(self, admin_client, unit_a):
        units_before = Unit.objects.count()
        users_before = User.objects.count()
        staff = [*STAFF_ROWS, ("sunba", "孙八", "", "not-an-email", "NOPE", "", "魔法师", "")]
        response = upload(admin_client, fill_template(admin_client, UNIT_ROWS, staff))
        assert response.status_code == 200
        assert response.context["result"] is None
        assert set(error_places(response)) == {(STAFF, 7)}
        messages = " ".join(e.message for e in response.context["errors"])
        assert "not-an-email" in messages
        assert "NOPE" in messages
        assert "魔法师" in messages
        assert "Nothing was imported" in response.content.decode()
        assert Unit.objects.count() == units_before
        assert User.objects.count() == users_before

    def test_admin_roles_cannot_be_imported(self, admin_client, unit_a):
        staff = [("boss", "老板", "", "", "TZ-RSJ", "", "系统管理员", "")]
        response = upload(admin_client, fill_template(admin_client, staff=staff))
        assert error_places(response) == [(STAFF, 4)]
        assert "cannot be granted by import" in response.context["errors"][0].message
        assert not User.objects.filter(username="boss").exists()

    def test_missing_parent_loop_and_duplicates_are_reported(self, admin_client, district):
        before = Unit.objects.count()
        units = [
            ("L1", "环一", "", "部门", "L2", 0),
            ("L2", "环二", "", "部门", "L1", 0),
            ("ORPHAN", "孤儿", "", "部门", "NOWHERE", 0),
            ("L1", "重复", "", "部门", "TZ", 0),
            ("D2", "第二个区", "", "区县", "TZ", 0),
            ("", "", "", "", "", "x"),
        ]
        staff = [
            ("dup", "甲", "", "", "TZ", "", "", ""),
            ("dup", "乙", "", "", "TZ", "", "", ""),
            ("bad name", "丙", "", "", "TZ", "", "", "1"),
        ]
        response = upload(admin_client, fill_template(admin_client, units, staff))
        assert set(error_places(response)) == {
            (UNITS, 4),
            (UNITS, 5),
            (UNITS, 6),
            (UNITS, 7),
            (UNITS, 8),
            (UNITS, 9),
            (STAFF, 5),
            (STAFF, 6),
        }
        assert Unit.objects.count() == before

    def test_not_an_excel_file(self, admin_client):
        for content in (b"code,name\nX,Y\n", b"%PDF-1.4 not a workbook"):
            response = upload(admin_client, SimpleUploadedFile("fake.xlsx", content))
            assert response.status_code == 200
            assert error_places(response) == [("File", None)]
            assert "not an Excel workbook" in response.context["errors"][0].message

    def test_a_zip_that_is_not_a_workbook(self, admin_client):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "hello")
        response = upload(admin_client, SimpleUploadedFile("fake.xlsx", buffer.getvalue()))
        assert error_places(response) == [("File", None)]

    def test_workbook_without_our_sheets(self, admin_client):
        buffer = io.BytesIO()
        openpyxl.Workbook().save(buffer)
        response = upload(admin_client, SimpleUploadedFile("empty.xlsx", buffer.getvalue()))
        assert error_places(response) == [("File", None)]

    def test_empty_template_is_reported(self, admin_client):
        response = upload(admin_client, fill_template(admin_client))
        assert "no rows to import" in response.context["errors"][0].message

    def test_file_too_large(self, admin_client, monkeypatch):
        monkeypatch.setattr("xiaoneng.org.forms.MAX_UPLOAD_BYTES", 100)
        response = upload(admin_client, fill_template(admin_client, UNIT_ROWS))
        assert response.context["form"].errors["file"]
        assert not Unit.objects.filter(code="TZ-JYJ").exists()

    def test_too_many_rows(self, admin_client, monkeypatch, district):
        monkeypatch.setattr(imports, "MAX_UNIT_ROWS", 2)
        response = upload(admin_client, fill_template(admin_client, UNIT_ROWS))
        assert error_places(response) == [(UNITS, 6)]
        assert not Unit.objects.filter(code="TZ-JYJ").exists()

    def test_staff_in_a_deactivated_unit(self, admin_client, district):
        UnitFactory(code="OLD", parent=district, is_active=False)
        staff = [("late", "迟到", "", "", "OLD", "", "", "")]
        response = upload(admin_client, fill_template(admin_client, staff=staff))
        assert error_places(response) == [(STAFF, 4)]


class TestReimport:
    def test_reimport_updates_units_and_skips_existing_accounts(self, admin_client, unit_a):
        upload(admin_client, fill_template(admin_client, UNIT_ROWS, STAFF_ROWS))
        wangwu = User.objects.get(username="wangwu")
        version = wangwu.version
        renamed = [
            ("TZ-JYJ-BGS", "区教育局综合办公室", "", "section", "TZ-JYJ", 2),
            *UNIT_ROWS[1:],
        ]
        staff = [
            ("wangwu", "王五改", "", "", "TZ-JYJ", "", "leader", ""),
            ("newcomer", "新来的", "", "", "TZ-HXZ", "", "", ""),
        ]
        response = upload(admin_client, fill_template(admin_client, renamed, staff))
        result = response.context["result"]
        assert result.units_created == []
        assert result.units_updated == ["TZ-JYJ-BGS"]
        assert sorted(result.units_unchanged) == ["TZ-HXZ", "TZ-JYJ"]
        assert result.users_created == ["newcomer"]
        assert result.users_skipped == [(4, "wangwu")]
        section = Unit.objects.get(code="TZ-JYJ-BGS")
        assert (section.name, section.order, section.version) == ("区教育局综合办公室", 2, 2)
        wangwu.refresh_from_db()
        assert (wangwu.name, wangwu.version) == ("王五", version)
        assert Unit.objects.filter(code="TZ-JYJ").count() == 1
        assert "wangwu" in response.content.decode()

    def test_reimport_moves_a_unit_to_a_parent_defined_later(self, admin_client, unit_a, unit_b):
        units = [
            ("TZ-RSJ", unit_a.name, "", "部门", "TZ-NEW", 0),
            ("TZ-NEW", "新上级", "", "部门", "TZ", 0),
        ]
        response = upload(admin_client, fill_template(admin_client, units))
        assert response.context["errors"] is None
        unit_a.refresh_from_db()
        assert unit_a.parent.code == "TZ-NEW"

    def test_reimport_refuses_a_loop_through_the_existing_tree(
        self, admin_client, unit_a, section_a
    ):
        units = [("TZ-RSJ", unit_a.name, "", "部门", "TZ-RSJ-BGS", 0)]
        response = upload(admin_client, fill_template(admin_client, units))
        assert error_places(response) == [(UNITS, 4)]
        unit_a.refresh_from_db()
        assert unit_a.parent.code == "TZ"


class TestLabels:
    @pytest.mark.parametrize(
        ("text", "code"),
        [
            ("department", UnitKind.DEPARTMENT),
            ("部门", UnitKind.DEPARTMENT),
            ("Department", UnitKind.DEPARTMENT),
            ("Sub-district", UnitKind.SUBDISTRICT),
            ("sub district", UnitKind.SUBDISTRICT),
            ("街道", UnitKind.SUBDISTRICT),
            ("镇", UnitKind.TOWN),
            ("科室", UnitKind.SECTION),
            ("区县", UnitKind.DISTRICT),
            ("其他", UnitKind.OTHER),
        ],
    )
    def test_unit_types(self, text, code):
        assert unit_kind_lookup()[imports._norm(text)] == code

    @pytest.mark.parametrize(
        ("text", "codes"),
        [
            ("承办人、单位联络员", [Role.HANDLER, Role.UNIT_LIAISON]),
            ("Intake clerk, Supervisor", [Role.INTAKE_CLERK, Role.SUPERVISOR]),
            ("intake_clerk，office_director", [Role.INTAKE_CLERK, Role.OFFICE_DIRECTOR]),
            ("Efficiency supervisor;效能办主任", [Role.INSPECTOR, Role.OFFICE_DIRECTOR]),
            ("handler, 承办人", [Role.HANDLER]),
            ("", []),
        ],
    )
    def test_roles(self, text, codes):
        assert imports.parse_roles(text, role_lookup()) == (codes, [])

    def test_admin_and_unknown_roles_are_problems(self):
        roles, problems = imports.parse_roles("Audit administrator, 领导, wizard", role_lookup())
        assert roles == [Role.LEADER]
        assert len(problems) == 2


class TestApplyService:
    def test_failure_while_writing_rolls_everything_back(self, sysadmin, district):
        parsed = ParsedImport(
            units=[UnitRow(UNITS, 4, "NEW-U", "新单位", "", UnitKind.DEPARTMENT, "TZ", 0)],
            staff=[StaffRow(STAFF, 4, "weak", "弱", "", "", "NEW-U", "", [], "1")],
        )
        with pytest.raises(ImportApplyError) as excinfo:
            org_import_apply(actor=sysadmin, parsed=parsed)
        assert {(e.sheet, e.row) for e in excinfo.value.errors} == {(STAFF, 4)}
        assert not Unit.objects.filter(code="NEW-U").exists()
        assert not User.objects.filter(username="weak").exists()

    def test_refuses_a_parse_with_errors(self, sysadmin):
        parsed = ParsedImport(errors=[imports.RowError(UNITS, 4, "x")])
        with pytest.raises(ValueError):
            org_import_apply(actor=sysadmin, parsed=parsed)

    def test_existing_account_is_skipped_not_changed(self, sysadmin, unit_a):
        UserFactory(username="there", name="原名", unit=unit_a)
        parsed = ParsedImport(
            staff=[StaffRow(STAFF, 4, "there", "新名", "", "", "TZ-RSJ", "", [], "")]
        )
        result = org_import_apply(actor=sysadmin, parsed=parsed)
        assert result.users_skipped == [(4, "there")]
        assert User.objects.get(username="there").name == "原名"

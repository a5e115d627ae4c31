"""The complainant's identity at rest: encrypted columns that a raw read cannot understand,
blind indexes that still find the same person, serialisation, key rotation and the migration
that encrypted the rows already there."""

import base64
import io
import json

import pytest
from django.core.exceptions import FieldError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases import services as s
from xiaoneng.cases.models import Case, Complainant
from xiaoneng.cases.protection import normalise_id_number, normalise_phone, same_complainant_q
from xiaoneng.core.crypto import CipherError, DataKey, get_cipher
from xiaoneng.core.fields import PREFIX
from xiaoneng.core.services import data_key_rotate

pytestmark = pytest.mark.django_db

NAME, PHONE, ID_NUMBER = "欧阳明远", "13912345678", "11010519491231002X"
ADDRESS, EMAIL = "天洲区石桥街道梧桐巷17号", "ouyang.mingyuan@example.cn"
IDENTITY = (NAME, PHONE, ID_NUMBER, ADDRESS, EMAIL)

KEY_OLD = base64.b64encode(bytes(range(32))).decode()
KEY_NEW = base64.b64encode(bytes(range(64, 96))).decode()


@pytest.fixture
def person():
    return s.ComplainantData(
        name=NAME, phone=PHONE, id_number=ID_NUMBER, address=ADDRESS, email=EMAIL
    )


@pytest.fixture
def case(register, person):
    return register(complainant=person)


def complainant_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM cases_complainant")
        return cursor.fetchall()


def as_texts(value) -> list[str]:
    """A raw column value as every text a reader could make of it."""
    if value is None:
        return []
    if isinstance(value, memoryview | bytes | bytearray):
        raw = bytes(value)
        return [raw.decode("utf-8", "ignore"), raw.decode("latin-1"), raw.hex()]
    return [str(value)]


def forms_of(value: str) -> set[str]:
    return {value, value.lower(), value.encode().hex(), base64.b64encode(value.encode()).decode()}


# --- at rest ---------------------------------------------------------------------------------


def test_a_raw_sql_read_shows_no_identity(case):
    [row] = complainant_rows()
    seen = [text for value in row for text in as_texts(value)]
    for value in IDENTITY:
        for form in forms_of(value):
            assert not any(form in text for text in seen), form
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, phone, id_number, address, email, phone_index, id_number_index "
            "FROM cases_complainant"
        )
        [stored] = cursor.fetchall()
    assert all(value.startswith(PREFIX) for value in stored[:5])
    assert stored[5] == get_cipher().blind_index("phone", PHONE)
    assert stored[6] == get_cipher().blind_index("id_number", ID_NUMBER)


def test_python_code_reads_plain_text(case):
    person = Complainant.objects.get(case=case)
    assert (person.name, person.phone, person.id_number, person.address, person.email) == IDENTITY
    assert Case.objects.select_related("complainant").get().complainant.name == NAME
    assert list(Complainant.objects.values_list("phone", "id_number")) == [(PHONE, ID_NUMBER)]


def test_an_anonymous_complainant_leaves_empty_columns(register):
    register(complainant=s.ComplainantData(anonymous=True))
    [row] = complainant_rows()
    columns = [c.name for c in connection.introspection.get_table_description(
        connection.cursor(), "cases_complainant"
    )]  # fmt: skip
    stored = dict(zip(columns, row, strict=True))
    for name in ("name", "phone", "id_number", "address", "email", "phone_index"):
        assert stored[name] == "", name


def test_encrypted_columns_cannot_be_searched(case):
    for lookup in ("phone", "name__icontains", "id_number__startswith", "address__in"):
        value = [PHONE] if lookup.endswith("__in") else PHONE
        with pytest.raises(FieldError):
            list(Complainant.objects.filter(**{lookup: value}))
    assert Complainant.objects.filter(phone="").count() == 0
    assert Complainant.objects.filter(id_number__isnull=False).count() == 1


def test_a_value_moved_to_another_column_does_not_decrypt(case):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_complainant SET name = phone")
    with pytest.raises(CipherError):
        Complainant.objects.get()


def test_plain_text_written_into_the_column_is_refused(case):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_complainant SET address = %s", [ADDRESS])
    with pytest.raises(CipherError, match="not an encrypted value"):
        Complainant.objects.get()


def test_a_serialised_row_holds_the_encrypted_form_and_loads_back(case, tmp_path):
    out = io.StringIO()
    call_command("dumpdata", "cases.complainant", stdout=out)
    dumped = out.getvalue()
    for value in IDENTITY:
        assert value not in dumped and json.dumps(value) not in dumped
    [record] = json.loads(dumped)
    assert record["fields"]["name"].startswith(PREFIX)

    Complainant.objects.all().delete()
    fixture = tmp_path / "complainant.json"
    fixture.write_text(dumped)
    call_command("loaddata", str(fixture), verbosity=0)
    person = Complainant.objects.get()
    assert (person.name, person.phone, person.id_number, person.address, person.email) == IDENTITY


def test_the_length_limit_applies_to_the_plain_text(register):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        register(complainant=s.ComplainantData(name="名" * 65, phone=PHONE))
    assert list(excinfo.value.message_dict) == ["name"]
    register(complainant=s.ComplainantData(name="名" * 64, phone=PHONE))  # 192 bytes of UTF-8


# --- the same person, found again ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("13912345678", "13912345678"),
        ("139 1234 5678", "13912345678"),
        ("+86 139-1234-5678", "13912345678"),
        ("0086 13912345678", "13912345678"),
        ("１３９１２３４５６７８", "13912345678"),
        ("0571-88886666", "057188886666"),
        ("86-0571-88886666", "86057188886666"),
        ("", ""),
    ],
)
def test_phone_numbers_are_compared_by_their_digits(raw, normalised):
    assert normalise_phone(raw) == normalised


def test_id_numbers_are_compared_in_capitals_without_separators():
    assert normalise_id_number(" 110105 19491231 002x ") == ID_NUMBER
    assert normalise_id_number("１１０１０５１９４９１２３１００２ｘ") == ID_NUMBER


def test_a_repeat_complaint_is_found_however_the_number_is_written(register, case):
    again = register(
        complainant=s.ComplainantData(name="欧阳", phone="+86 139-1234-5678"),
        summary="另一件事",
        content="完全不同的内容，与前一件无关。",
    )
    assert again.duplicate_flag is True
    assert list(again.links_out.values_list("to_case", flat=True)) == [case.pk]
    by_id = register(
        complainant=s.ComplainantData(name="某", phone="13000000000", id_number=ID_NUMBER.lower()),
        summary="第三件事",
        content="又一个无关的内容。",
    )
    assert by_id.duplicate_flag is True
    other = register(
        complainant=s.ComplainantData(name="路人", phone="13912345679"),
        summary="第四件事",
        content="毫不相干。",
    )
    assert other.duplicate_flag is False


def test_same_complainant_q_finds_people_through_the_index(case):
    assert list(Case.objects.filter(same_complainant_q(phone="139 1234 5678"))) == [case]
    assert list(Complainant.objects.filter(same_complainant_q(id_number=ID_NUMBER, prefix="")))
    assert not Case.objects.filter(same_complainant_q(phone="13912345670")).exists()
    assert not same_complainant_q(phone="", id_number="")


def test_the_index_follows_the_value_when_the_row_is_saved(case):
    person = case.complainant
    person.phone = "13700001111"
    person.save()
    assert Complainant.objects.filter(same_complainant_q(phone="13700001111", prefix="")).exists()
    assert not Complainant.objects.filter(same_complainant_q(phone=PHONE, prefix="")).exists()


# --- rotating the key -------------------------------------------------------------------------


def stored_key_ids() -> set[str]:
    field = Complainant._meta.get_field("name")
    return {
        get_cipher().token_key_id(field.token(value))
        for (value,) in complainant_rows_of("name")
        if value
    }


def complainant_rows_of(column: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM cases_complainant")  # noqa: S608 - a constant
        return cursor.fetchall()


def test_rotation_re_encrypts_under_the_new_key(settings, register, person):
    settings.XIAONENG_DATA_KEY = KEY_OLD
    first = register(complainant=person)
    register(complainant=s.ComplainantData(anonymous=True), summary="匿名", content="匿名投诉")
    old_id = DataKey.derive(base64.b64decode(KEY_OLD)).key_id
    assert stored_key_ids() == {old_id}

    settings.XIAONENG_DATA_KEY = f"{KEY_NEW},{KEY_OLD}"
    new_id = DataKey.derive(base64.b64decode(KEY_NEW)).key_id
    # Before the rotation the old rows are read and found again under either key.
    assert Complainant.objects.get(case=first).name == NAME
    assert Case.objects.filter(same_complainant_q(phone=PHONE)).count() == 1
    assert data_key_rotate(check_only=True).stale == 1
    assert stored_key_ids() == {old_id}

    report = data_key_rotate(batch_size=1)
    assert (report.key_id, report.stale, report.unreadable) == (new_id, 1, 0)
    assert [(m.label, m.rows, m.stale) for m in report.models] == [("cases.Complainant", 2, 1)]
    assert stored_key_ids() == {new_id}
    entry = AuditEntry.objects.get(action="core.data_key.rotate")
    assert entry.data == {
        "key_id": new_id,
        "rewritten": 1,
        "unreadable": 0,
        "models": {"cases.Complainant": 2},
    }
    assert data_key_rotate(check_only=True).stale == 0

    settings.XIAONENG_DATA_KEY = KEY_NEW  # the old key retired
    person_now = Complainant.objects.get(case=first)
    assert (person_now.name, person_now.id_number, person_now.email) == (NAME, ID_NUMBER, EMAIL)
    assert list(Case.objects.filter(same_complainant_q(phone=PHONE))) == [first]


def test_the_command_reports_and_fails_while_rows_are_left(settings, register, person):
    settings.XIAONENG_DATA_KEY = KEY_OLD
    register(complainant=person)
    settings.XIAONENG_DATA_KEY = f"{KEY_NEW},{KEY_OLD}"
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 rows still need rewriting"):
        call_command("rotate_data_key", "--check", stdout=out)
    assert "cases.Complainant: 1 rows, 1 to rewrite, 0 unreadable" in out.getvalue()
    assert not AuditEntry.objects.filter(action="core.data_key.rotate").exists()

    out = io.StringIO()
    call_command("rotate_data_key", stdout=out)
    new_id = DataKey.derive(base64.b64decode(KEY_NEW)).key_id
    assert out.getvalue().splitlines() == [
        "cases.Complainant: 1 rows, 1 rewritten, 0 unreadable",
        f"Current key: {new_id}.",
    ]
    call_command("rotate_data_key", "--check", stdout=io.StringIO())


def test_rows_no_key_decrypts_are_reported_and_left_alone(settings, register, person):
    settings.XIAONENG_DATA_KEY = KEY_OLD
    case = register(complainant=person)
    settings.XIAONENG_DATA_KEY = KEY_NEW  # the old key lost
    before = complainant_rows()
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 rows could not be decrypted"):
        call_command("rotate_data_key", stdout=io.StringIO(), stderr=err)
    assert f"unreadable rows (no configured key decrypts them): {case.complainant.pk}" in (
        err.getvalue()
    )
    assert complainant_rows() == before


def test_without_a_key_the_command_says_what_to_do(settings):
    settings.XIAONENG_DATA_KEY_DEVELOPMENT = False
    with pytest.raises(CommandError, match="No data key is configured: set XIAONENG_DATA_KEY"):
        call_command("rotate_data_key", stdout=io.StringIO())


def test_new_key_prints_a_usable_key(settings):
    settings.XIAONENG_DATA_KEY_DEVELOPMENT = False  # works before any key is configured
    out = io.StringIO()
    call_command("rotate_data_key", "--new-key", stdout=out)
    key = out.getvalue().strip()
    assert len(base64.b64decode(key)) == 32
    settings.XIAONENG_DATA_KEY = key
    assert get_cipher().development is False


# --- the migration that encrypted the rows already there ------------------------------------------

BEFORE = [("cases", "0007_statistics_figures")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_rows_and_can_be_reversed(category):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    OldCase, OldComplainant = old.get_model("cases", "Case"), old.get_model("cases", "Complainant")
    kept = OldCase.objects.create(
        number="XN-2024-000001",
        year=2024,
        seq=1,
        channel="phone",
        category_id=category.pk,
        summary="旧件",
        content="迁移前登记",
        registered_at=timezone.now(),
    )
    OldComplainant.objects.create(
        case=kept, name=NAME, phone="139 1234 5678", id_number=ID_NUMBER, address=ADDRESS
    )
    OldComplainant.objects.create(
        case=OldCase.objects.create(
            number="XN-2024-000002",
            year=2024,
            seq=2,
            channel="letter",
            category_id=category.pk,
            summary="匿名旧件",
            content="匿名",
            registered_at=timezone.now(),
        ),
        anonymous=True,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    rows = complainant_rows()
    assert not any(v in t for row in rows for c in row for t in as_texts(c) for v in IDENTITY)
    person = Complainant.objects.get(case_id=kept.pk)
    assert (person.name, person.phone, person.id_number, person.address) == (
        NAME,
        "139 1234 5678",
        ID_NUMBER,
        ADDRESS,
    )
    assert list(Case.objects.filter(same_complainant_q(phone=PHONE))) == [
        Case.objects.get(pk=kept.pk)
    ]

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, phone FROM cases_complainant ORDER BY case_id")
        assert cursor.fetchall() == [(NAME, "139 1234 5678"), ("", "")]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

import pytest

from xiaoneng.cases.defaults import seed_categories
from xiaoneng.cases.models import Category
from xiaoneng.cases.services import ComplainantData, case_register


@pytest.fixture(autouse=True)
def _default_categories(request):
    """The migration seeds the categories, but a transactional test earlier on the same worker
    empties every table when it ends; put them back for the tests that use the database."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db and not Category.objects.exists():
        seed_categories(Category)


@pytest.fixture
def category(db):
    return Category.objects.get(code="TWCP")


@pytest.fixture
def complainant():
    return ComplainantData(
        name="张三丰",
        phone="13812345678",
        id_number="330102199001011234",
        address="天洲区青石镇幸福路8号",
    )


@pytest.fixture
def register(clerk, category, complainant, unit_a):
    def _register(**overrides):
        values = {
            "actor": clerk,
            "channel": "phone",
            "category": category,
            "summary": "办理社保转移被多次推诿",
            "content": "今年三月起去区人社局办理社保转移，窗口三次让我找别的部门。",
            "complainant": complainant,
            "subject_units": [unit_a],
        }
        values.update(overrides)
        return case_register(**values)

    return _register

"""The demo district 天洲区: a fictional district with realistic units and one account per
role. Deterministic and re-runnable: loading it twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from xiaoneng.org import services as org_services
from xiaoneng.org.choices import Role, UnitKind
from xiaoneng.org.models import Unit, User

DEMO_PASSWORD = "Demo@2026"
DISTRICT_CODE = "TZ"

# (code, full name, short name)
DEPARTMENTS = [
    ("XNB", "天洲区机关效能建设办公室", "区效能办"),
    ("RSJ", "天洲区人力资源和社会保障局", "区人社局"),
    ("CZJ", "天洲区财政局", "区财政局"),
    ("FGJ", "天洲区发展和改革局", "区发改局"),
    ("JYJ", "天洲区教育局", "区教育局"),
    ("KJJ", "天洲区科学技术局", "区科技局"),
    ("GXJ", "天洲区工业和信息化局", "区工信局"),
    ("GAJ", "天洲区公安分局", "区公安分局"),
    ("MZJ", "天洲区民政局", "区民政局"),
    ("SFJ", "天洲区司法局", "区司法局"),
    ("ZRJ", "天洲区自然资源局", "区自然资源局"),
    ("STJ", "天洲区生态环境分局", "区生态环境分局"),
    ("ZJJ", "天洲区住房和城乡建设局", "区住建局"),
    ("JTJ", "天洲区交通运输局", "区交通运输局"),
    ("SLJ", "天洲区水利局", "区水利局"),
    ("NYJ", "天洲区农业农村局", "区农业农村局"),
    ("SWJ", "天洲区商务局", "区商务局"),
    ("WLJ", "天洲区文化和旅游局", "区文旅局"),
    ("WJW", "天洲区卫生健康委员会", "区卫健委"),
    ("TYJ", "天洲区退役军人事务局", "区退役军人局"),
    ("YJJ", "天洲区应急管理局", "区应急局"),
    ("SJJ", "天洲区审计局", "区审计局"),
    ("SCJ", "天洲区市场监督管理局", "区市场监管局"),
    ("TJJ", "天洲区统计局", "区统计局"),
    ("YBJ", "天洲区医疗保障局", "区医保局"),
    ("CGJ", "天洲区城市管理局", "区城管局"),
    ("SPJ", "天洲区行政审批局", "区行政审批局"),
    ("ZWZX", "天洲区政务服务中心", "区政务服务中心"),
    ("XFJ", "天洲区信访局", "区信访局"),
    ("SJZ", "天洲区数据资源管理局", "区数据局"),
    ("BDC", "天洲区不动产登记中心", "区不动产登记中心"),
    ("GJJ", "天洲区住房公积金管理部", "区公积金管理部"),
    ("LYJ", "天洲区林业局", "区林业局"),
    ("TYU", "天洲区体育局", "区体育局"),
]
TOWNS = [
    ("QSZ", "天洲区青石镇", "青石镇"),
    ("BSZ", "天洲区白沙镇", "白沙镇"),
    ("TYZ", "天洲区桃源镇", "桃源镇"),
    ("YXZ", "天洲区云溪镇", "云溪镇"),
    ("LTZ", "天洲区柳塘镇", "柳塘镇"),
    ("SMZ", "天洲区石门镇", "石门镇"),
    ("LQZ", "天洲区龙泉镇", "龙泉镇"),
    ("FLZ", "天洲区凤岭镇", "凤岭镇"),
]
SUBDISTRICTS = [
    ("DCJD", "天洲区东城街道办事处", "东城街道"),
    ("XCJD", "天洲区西城街道办事处", "西城街道"),
    ("NHJD", "天洲区南湖街道办事处", "南湖街道"),
    ("BYJD", "天洲区北苑街道办事处", "北苑街道"),
    ("JBJD", "天洲区江滨街道办事处", "江滨街道"),
    ("XHJD", "天洲区新华街道办事处", "新华街道"),
]
# Sections of some units: parent code -> [(suffix, name)]
SECTIONS = {
    "XNB": [("ZHK", "综合科"), ("SLK", "投诉受理科"), ("DCK", "督查科")],
    "RSJ": [("BGS", "办公室"), ("JYK", "就业促进科"), ("SBK", "社会保险科")],
    "CZJ": [("BGS", "办公室"), ("YSK", "预算科")],
    "SCJ": [("BGS", "办公室"), ("XBK", "消费者权益保护科")],
    "SPJ": [("BGS", "办公室"), ("ZHK", "综合审批科")],
}
for _code, _name, _short in TOWNS + SUBDISTRICTS:
    SECTIONS[_code] = [("DZB", "党政办"), ("BMZX", "便民服务中心")]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
    "彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金"
    "石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤"
)
GIVEN = [
    "建国",
    "晓燕",
    "海涛",
    "丽华",
    "志强",
    "秀英",
    "伟",
    "静",
    "敏",
    "军",
    "磊",
    "洋",
    "艳",
    "勇",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "桂英",
    "文博",
    "子涵",
    "思远",
    "雨婷",
    "浩然",
    "欣怡",
    "宇航",
    "佳琪",
    "俊杰",
    "梓萱",
    "一鸣",
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    name: str
    unit_code: str
    roles: tuple[str, ...]
    title: str = ""


# The office, the leaders and the three administrators.
OFFICE_ACCOUNTS = [
    DemoAccount("clerk", "李晓燕", "TZ-XNB-SLK", (Role.INTAKE_CLERK,), "受理员"),
    DemoAccount("clerk2", "何雨婷", "TZ-XNB-SLK", (Role.INTAKE_CLERK,), "受理员"),
    DemoAccount("supervisor", "王海涛", "TZ-XNB-DCK", (Role.SUPERVISOR,), "督办员"),
    DemoAccount("supervisor2", "林思远", "TZ-XNB-DCK", (Role.SUPERVISOR,), "督办员"),
    DemoAccount("director", "赵建国", "TZ-XNB", (Role.OFFICE_DIRECTOR,), "区效能办主任"),
    DemoAccount("leader", "陈志强", "TZ", (Role.LEADER,), "区委书记"),
    DemoAccount("leader2", "黄丽华", "TZ", (Role.LEADER,), "副区长"),
    DemoAccount("inspector", "钱文博", "TZ-XNB-DCK", (Role.INSPECTOR,), "效能监督员（区人大代表）"),
    DemoAccount("inspector2", "孔欣怡", "TZ-XNB-DCK", (Role.INSPECTOR,), "效能监督员（群众代表）"),
    DemoAccount("sysadmin", "冯宇航", "TZ-SJZ", (Role.SYSTEM_ADMIN,), "系统管理员"),
    DemoAccount("secadmin", "褚佳琪", "TZ-SJZ", (Role.SECURITY_ADMIN,), "安全管理员"),
    DemoAccount("auditadmin", "卫俊杰", "TZ-XNB-ZHK", (Role.AUDIT_ADMIN,), "审计管理员"),
]


def _person_name(index: int) -> str:
    return SURNAMES[index * 7 % len(SURNAMES)] + GIVEN[index * 5 % len(GIVEN)]


def demo_units() -> list[tuple[str, str, str, str, str | None, int]]:
    """(code, name, short name, kind, parent code, order) in creation order."""
    rows = [(DISTRICT_CODE, "天洲区", "天洲区", UnitKind.DISTRICT, None, 0)]
    order = 0
    for kind, items in (
        (UnitKind.DEPARTMENT, DEPARTMENTS),
        (UnitKind.TOWN, TOWNS),
        (UnitKind.SUBDISTRICT, SUBDISTRICTS),
    ):
        for code, name, short in items:
            order += 10
            rows.append((f"{DISTRICT_CODE}-{code}", name, short, kind, DISTRICT_CODE, order))
            for i, (suffix, section) in enumerate(SECTIONS.get(code, ())):
                rows.append(
                    (
                        f"{DISTRICT_CODE}-{code}-{suffix}",
                        f"{short}{section}",
                        section,
                        UnitKind.SECTION,
                        f"{DISTRICT_CODE}-{code}",
                        i + 1,
                    )
                )
    return rows


def demo_accounts() -> list[DemoAccount]:
    accounts = list(OFFICE_ACCOUNTS)
    index = 0
    for code, _name, short in DEPARTMENTS[1:] + TOWNS + SUBDISTRICTS:
        login = code.lower()
        unit_code = f"{DISTRICT_CODE}-{code}"
        for suffix, roles, title in (
            ("head", (Role.UNIT_HEAD,), "主要负责人"),
            ("liaison", (Role.UNIT_LIAISON,), "效能联络员"),
            ("handler1", (Role.HANDLER,), "承办人"),
            ("handler2", (Role.HANDLER,), "承办人"),
        ):
            index += 1
            accounts.append(
                DemoAccount(
                    f"{login}.{suffix}", _person_name(index), unit_code, roles, f"{short}{title}"
                )
            )
    return accounts


def demo_is_loaded() -> bool:
    return Unit.objects.filter(code=DISTRICT_CODE).exists()


@transaction.atomic
def demo_load() -> dict[str, int]:
    """Create whatever part of the demo district is missing. Returns counts of what it made."""
    created = {"units": 0, "accounts": 0}
    units = {u.code: u for u in Unit.objects.all()}
    for code, name, short, kind, parent_code, order in demo_units():
        if code in units:
            continue
        units[code] = org_services.unit_create(
            actor=None,
            code=code,
            name=name,
            short_name=short,
            kind=kind,
            parent=units[parent_code] if parent_code else None,
            order=order,
        )
        created["units"] += 1
    existing = set(User.objects.values_list("username", flat=True))
    encoded = make_password(DEMO_PASSWORD)
    new_users = []
    for account in demo_accounts():
        if account.username in existing:
            continue
        user = org_services.user_create(
            actor=None,
            username=account.username,
            name=account.name,
            unit=units[account.unit_code],
            roles=account.roles,
            title=account.title,
            phone=f"1380000{len(existing) + len(new_users):04d}",
            must_change_password=False,
        )
        new_users.append(user.pk)
    # One hash for every demo account: hashing ~170 passwords one by one would take a minute.
    User.objects.filter(pk__in=new_users).update(password=encoded)
    created["accounts"] = len(new_users)
    return created


def demo_login_table() -> list[tuple[str, str, str]]:
    """(login, name, what it is) for the printed list of demo logins."""
    from django.utils.translation import gettext as _

    rows = [
        (a.username, a.name, ", ".join(str(Role(r).label) for r in a.roles))
        for a in OFFICE_ACCOUNTS
    ]
    unit_roles = " / ".join(str(r.label) for r in (Role.UNIT_HEAD, Role.UNIT_LIAISON, Role.HANDLER))
    rows.append(("rsj.head / rsj.liaison / rsj.handler1", "区人社局", unit_roles))
    rows.append(
        (
            "czj.* , qsz.* , dcjd.* …",
            "区财政局, 青石镇, 东城街道 …",
            _("the same accounts in every unit"),
        )
    )
    return rows


# --- demo cases ------------------------------------------------------------------------------

DEMO_COMPLAINTS = [
    (
        "TWCP",
        "RSJ",
        "办理社保转移被多次推诿",
        "三月起到区人社局办理社保关系转移，窗口三次让我去找别的部门，至今没有办成。",
    ),
    (
        "MNJ",
        "SPJ",
        "行政审批大厅取号难",
        "审批大厅每天上午九点前号就取完了，外地来的群众根本进不了门。",
    ),
    (
        "LNK",
        "ZWZX",
        "窗口工作人员态度生硬",
        "政务服务中心二号窗口工作人员对咨询群众爱答不理，还出言不逊。",
    ),
    (
        "SNB",
        "ZJJ",
        "房屋维修基金申请迟迟不批",
        "小区申请使用维修基金已半年，材料交齐了仍然没有答复。",
    ),
    ("CNKY", "SCJ", "执法人员索要好处", "市场监管执法人员检查门店时暗示要“表示表示”，否则就罚款。"),
    (
        "BZW",
        "CGJ",
        "占道经营长期无人管",
        "新华街道菜市场门口占道经营已一年，多次反映城管无人处理。",
    ),
    ("MZW", "BDC", "不动产登记超期未办结", "不动产登记申请已过承诺时限十个工作日，仍说在审核。"),
    (
        "LZW",
        "GAJ",
        "办理居住证被要求额外材料",
        "办理居住证时被要求提供清单以外的单位证明，前后跑了四趟。",
    ),
    (
        "WGSF",
        "JYJ",
        "学校违规收取资料费",
        "区内某小学开学时统一收取资料费两百元，没有任何收费依据。",
    ),
    ("ZWGK", "FGJ", "项目审批结果未公开", "区发改局对企业投资项目的审批结果没有按规定在网上公开。"),
    ("FWTD", "YBJ", "医保窗口办事效率低", "医保窗口只开一个，排队两个小时，工作人员还中途离岗。"),
    (
        "MZW",
        "QSZ",
        "镇便民服务中心办证慢",
        "在青石镇便民服务中心办理准生证，承诺三天实际用了三周。",
    ),
    (
        "BZW",
        "DCJD",
        "街道对噪音投诉不处理",
        "东城街道辖区夜间施工噪音扰民，向街道反映多次无人处理。",
    ),
    (
        "TWCP",
        "MZJ",
        "低保申请在镇和区之间来回推",
        "申请低保，镇里说要区民政局批，区民政局说要镇里先报，来回推诿。",
    ),
    (
        "SNB",
        "SWJ",
        "企业补贴申报流程繁琐",
        "申报稳岗补贴需要提交的材料有二十多项，很多是重复提交。",
    ),
]
_DEMO_NAMES = [
    "刘建华",
    "陈秀兰",
    "杨志刚",
    "黄丽娟",
    "赵德明",
    "周海燕",
    "吴国庆",
    "孙小红",
    "马文斌",
    "朱玉梅",
    "胡永强",
    "郭淑珍",
    "何建平",
    "高美玲",
    "林志伟",
]


def demo_cases_is_loaded() -> bool:
    from xiaoneng.cases.models import Case

    return Case.objects.exists()


def demo_cases_load() -> int:
    """A handful of cases in every state, registered over the last weeks, so that every queue
    and screen has something to show. Run once (when there are no cases yet)."""
    from datetime import timedelta

    from django.utils import timezone

    from xiaoneng.cases import services as cs
    from xiaoneng.cases.models import Category

    if demo_cases_is_loaded():
        return 0
    users = {u.username: u for u in User.objects.all()}
    units = {u.code: u for u in Unit.objects.all()}
    clerk, supervisor, director = users["clerk"], users["supervisor"], users["director"]
    now = timezone.now()
    made = 0
    for index, (category_code, unit_code, summary, content) in enumerate(DEMO_COMPLAINTS):
        start = now - timedelta(days=40 - index * 2, hours=index)
        unit = units[f"{DISTRICT_CODE}-{unit_code}"]
        anonymous = index % 5 == 4
        person = (
            cs.ComplainantData(anonymous=True)
            if anonymous
            else cs.ComplainantData(
                name=_DEMO_NAMES[index],
                phone=f"139{index:04d}{(index * 7919) % 10000:04d}",
                address=f"天洲区幸福路{index + 1}号",
            )
        )
        case = cs.case_register(
            actor=clerk,
            channel=["phone", "letter", "visit", "phone", "media"][index % 5],
            category=Category.objects.get(code=category_code),
            summary=summary,
            content=content,
            complainant=person,
            subject_units=[unit],
            urgency="urgent" if index % 6 == 0 else "normal",
            reply_wanted=not anonymous,
            now=start,
        )
        made += 1
        stage = index % 8  # how far along the lifecycle this case has come
        if stage == 0:
            continue
        cs.case_accept(actor=clerk, case=case, now=start + timedelta(hours=3))
        if stage == 1:
            continue
        liaison, handler = (
            users[f"{unit_code.lower()}.liaison"],
            users[f"{unit_code.lower()}.handler1"],
        )
        if stage == 7:
            other = units[f"{DISTRICT_CODE}-SCJ" if unit_code != "SCJ" else f"{DISTRICT_CODE}-CZJ"]
            cs.case_dispatch(
                actor=supervisor,
                case=case,
                mode="joint",
                lead=cs.UnitPart(unit, "牵头查处"),
                co_units=[cs.UnitPart(other, "配合核查", amount=10)],
                now=start + timedelta(days=1),
            )
        else:
            cs.case_dispatch(
                actor=supervisor,
                case=case,
                mode="supervised" if stage == 6 else "transfer",
                lead=cs.UnitPart(unit),
                supervision_level="key",
                supervision_text="限期查明并答复",
                supervision_days=10,
                now=start + timedelta(days=1),
            )
        if stage == 2:
            continue
        lead = case.assignments.order_by("id").first()
        cs.assignment_sign(
            actor=liaison, assignment=lead, handler=handler, now=start + timedelta(days=2)
        )
        if stage in (3, 6, 7):
            continue
        cs.assignment_reply(
            actor=handler,
            assignment=lead,
            reply_text="经核查，情况属实，已责令整改并向群众致歉。",
            finding="substantiated",
            measures="对相关人员批评教育，完善首问负责制度。",
            now=start + timedelta(days=10),
        )
        if stage == 4:
            continue
        cs.case_review(actor=director, case=case, approve=True, now=start + timedelta(days=11))
        if not anonymous and index != 13:  # one case is left waiting for its callback
            cs.case_callback(
                actor=clerk,
                case=case,
                satisfaction="satisfied",
                solved="solved",
                now=start + timedelta(days=12),
            )
            cs.case_close_out(actor=supervisor, case=case, now=start + timedelta(days=12, hours=2))
    return made

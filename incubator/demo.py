"""Demo data of the directory: districts, 街道 and 社区, and 30 social organisations.

Names, places and programmes come from the seed articles (崇川区"邻里+", 南岸区"三事分流"与"V益案",
海曙区"五社联动", 姑苏区"政社互动"); the people and numbers are made up. ``seed`` only creates
what is missing, looked up by natural key, so it can run on every ``make run`` without touching rows
a demo user has since edited. ``seed_scale`` adds bulk rows for benchmarks with ``bulk_create``
(no per-row ``save()`` or signals).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import cycle

from django.db.models import Q
from django.utils import timezone

from incubator.credit_code import make_credit_code
from incubator.enums import CommunityLevel, OrganisationType
from incubator.models import Community, Organisation

# The credit-code "kind" digit for organisations registered with civil affairs (authority 5).
KIND_BY_TYPE = {
    OrganisationType.SOCIAL_GROUP: "1",
    OrganisationType.SOCIAL_SERVICE: "2",
    OrganisationType.FOUNDATION: "3",
}


@dataclass(frozen=True)
class District:
    city: str
    name: str
    area: str  # 6-digit administrative area code, characters 3-8 of a credit code
    households: int
    population: int
    subdistricts: tuple[tuple[str, tuple[tuple[str, int, int], ...]], ...]


# 区 → 街道 → 社区 (name, households, population). Places named in the articles are used as they are.
# fmt: off
DISTRICTS: tuple[District, ...] = (
    District("南通市", "崇川区", "320602", 480_000, 1_270_000, (
        ("和平桥街道", (("钟楼社区", 3_180, 8_120), ("五一社区", 2_650, 6_930), ("八仙城社区", 4_020, 10_350))),
        ("学田街道", (("学田社区", 3_560, 9_040), ("濠南社区", 2_870, 7_210), ("朝晖社区", 3_310, 8_460))),
        ("观音山街道", (("观音山社区", 2_240, 6_080), ("新桥社区", 3_730, 9_660))),
    )),
    District("重庆市", "南岸区", "500108", 450_000, 1_190_000, (
        ("南坪街道", (("南坪东路社区", 4_410, 11_280), ("惠工社区", 3_090, 7_850), ("珊瑚村社区", 2_760, 6_990))),
        ("海棠溪街道", (("土庙子社区", 1_280, 3_360), ("烟雨社区", 3_640, 9_210))),
        ("长生桥镇", (("桃花桥社区", 2_950, 7_640), ("茶园社区", 3_380, 8_720))),
    )),
    District("宁波市", "海曙区", "330203", 390_000, 1_050_000, (
        ("鼓楼街道", (("孝闻社区", 2_820, 6_870), ("中山社区", 2_410, 5_960), ("镇明社区", 3_150, 7_730))),
        ("月湖街道", (("郡庙社区", 2_560, 6_320), ("天一社区", 3_470, 8_650), ("平桥社区", 2_190, 5_480))),
        ("白云街道", (("安丰社区", 4_130, 10_420), ("云乐社区", 3_020, 7_590))),
    )),
    District("苏州市", "姑苏区", "320508", 340_000, 920_000, (
        ("平江街道", (("钮家巷社区", 2_380, 5_870), ("大儒社区", 2_910, 7_160), ("平江路社区", 1_960, 4_830))),
        ("双塔街道", (("锦帆路社区", 3_240, 7_980), ("滚绣坊社区", 2_670, 6_540), ("定慧寺社区", 2_130, 5_290))),
        ("虎丘街道", (("虎丘社区", 3_560, 8_910), ("留园社区", 2_840, 7_030))),
    )),
)
# fmt: on

AREA_BY_DISTRICT = {district.name: district.area for district in DISTRICTS}
CITY_BY_DISTRICT = {district.name: district.city for district in DISTRICTS}


@dataclass(frozen=True)
class Org:
    name: str
    org_type: str
    district: str
    community: str  # a 街道 or 社区 name inside the district, or ""
    rating: str = ""
    rating_expired: bool = False
    registered: date | None = None
    contact: tuple[str, str] = ("", "")
    address: str = ""
    description: str = ""


S, G, F, C = (
    OrganisationType.SOCIAL_SERVICE,
    OrganisationType.SOCIAL_GROUP,
    OrganisationType.FOUNDATION,
    OrganisationType.COMMUNITY_ORG,
)

# The three organisations the demo applicants ngo1, ngo2 and ngo3 belong to.
NGO1_ORGANISATION = "崇川区邻里守望社会工作服务中心"
NGO2_ORGANISATION = "重庆市南岸区益友公益发展中心"
NGO3_ORGANISATION = "姑苏区平江社会工作服务社"

# fmt: off
ORGANISATIONS: tuple[Org, ...] = (
    # 南通市崇川区: "邻里+" 社区治理
    Org(NGO1_ORGANISATION, S, "崇川区", "和平桥街道", rating="5A", registered=date(2016, 4, 18),
        contact=("张晓燕", "13962810451"), address="南通市崇川区和平桥街道钟楼巷12号",
        description="扎根崇川区“邻里+”社区治理实践的专业社工机构，在12个社区设立邻里服务站，开展邻里议事协商、独居老人守望探访和楼道志愿者培育，年均服务居民两万余人次。"),
    Org("南通市崇川区邻里和谐促进会", G, "崇川区", "", rating="4A", registered=date(2019, 9, 6),
        contact=("顾建华", "13813706628"), address="南通市崇川区工农路111号",
        description="由各邻里“和谐促进会”理事长、楼道长组成的枢纽型社会团体，推动“三单一册”落地，组织邻里公约制定和群众评议。"),
    Org("钟楼社区邻里互助队", C, "崇川区", "钟楼社区",
        contact=("陈桂芳", "13773621907"),
        description="钟楼社区居民自发组织的互助队伍，为高龄独居老人代购代办、结对探访，协助开展老小区改造中的邻里协商。"),
    Org("南通市崇川区四季风采群众文化协会", G, "崇川区", "学田街道", rating="3A", rating_expired=True, registered=date(2015, 3, 27),
        contact=("钱美玲", "13905138842"), address="南通市崇川区学田街道文化站二楼",
        description="“四季风采靓崇川”邻里文化品牌的承办方，联络全区文艺团队，组织“邻里文化大串门”巡演。"),
    Org("崇川区乐龄居家养老服务中心", S, "崇川区", "学田社区", rating="4A", registered=date(2017, 11, 2),
        contact=("陆海燕", "13515209376"), address="南通市崇川区学田社区邻里中心一楼",
        description="提供助餐、助浴、助医等居家养老上门服务，运营三处社区日间照料中心。"),
    Org("濠南社区悦读会", C, "崇川区", "濠南社区",
        contact=("吴文静", "18951355062"),
        description="社区阅读社团，每周末在社区书屋开展亲子共读和长者读报活动。"),
    Org("南通市邻里守望公益基金会", F, "崇川区", "", rating="4A", registered=date(2018, 6, 20),
        contact=("沈国平", "13962965530"), address="南通市崇川区世纪大道6号",
        description="非公募基金会，资助邻里互助、社区营造和困境家庭帮扶项目，为公益创投项目提供配套资金。"),
    Org("崇川区阳光助残服务中心", S, "崇川区", "观音山街道", registered=date(2021, 8, 13),
        contact=("黄志明", "13626270813"), address="南通市崇川区观音山街道新桥路58号",
        description="为社区残障人士提供康复训练、辅助就业和家庭支持服务。"),
    # 重庆市南岸区: 三事分流, V益案, 社区治理创新中心
    Org(NGO2_ORGANISATION, S, "南岸区", "南坪街道", rating="5A", registered=date(2014, 10, 9),
        contact=("何志刚", "13883176520"), address="重庆市南岸区南坪街道南坪东路社区治理创新中心三楼",
        description="“V益案”居民公益方案征集的发起机构，联合13个社区公益站发动居民为身边“小事”出主意，征集居民方案300多份，落地社区治理项目356个。"),
    Org("南岸区V益志愿服务协会", G, "南岸区", "南坪街道", rating="3A", registered=date(2018, 12, 4),
        contact=("罗晓丽", "13752934418"), address="重庆市南岸区南坪街道惠工社区",
        description="由“V益案”中涌现的居民骨干发起，组织志愿者参与社区环境、邻里关系和扶老助残等小事治理。"),
    Org("南岸区社创营社会工作服务中心", S, "南岸区", "南坪街道", rating="4A", rating_expired=True, registered=date(2018, 6, 15),
        contact=("唐敏", "13608311265"), address="重庆市南岸区社区治理创新中心（社会组织孵化基地）",
        description="运营“社创营”“研学社”培训品牌，以社区社工为对象提升专业能力，累计培训专业社工近200人。"),
    Org("桃花桥社区睦邻议事会", C, "南岸区", "桃花桥社区",
        contact=("李德明", "13996237701"),
        description="今福小区停车方案的协商平台：组织院坝会和车主座谈，方案经“一户一票”表决以96%通过。"),
    Org("南岸区青创营青年公益发展中心", S, "南岸区", "", registered=date(2022, 3, 1),
        contact=("邓宇航", "15823790164"), address="重庆市南岸区南坪西路28号",
        description="为社工专业毕业生、公益团队骨干和有公益创业意愿的青年提供辅导，孵化青年公益项目。"),
    Org("南岸区德育公益实践服务中心", S, "南岸区", "海棠溪街道", rating="3A", registered=date(2019, 2, 22),
        contact=("周玉兰", "13594086637"), address="重庆市南岸区海棠溪街道烟雨社区",
        description="承接“家、校、社”德育创投项目，与辖区学校合作建设校外德育教育公益实践基地。"),
    Org("土庙子片区长者互助会", C, "南岸区", "土庙子社区",
        contact=("王淑华", "13310237758"),
        description="片区自治搬迁中推选的居民代表发起，为搬迁后的老年居民提供结对互助和邻里关怀。"),
    Org("重庆南岸益行公益基金会", F, "南岸区", "", rating="3A", registered=date(2020, 7, 30),
        contact=("杨帆", "13883950271"), address="重庆市南岸区江南大道8号",
        description="链接企业和社会慈善资源，为社区创投项目提供配套资金和物资支持。"),
    # 宁波市海曙区: 五社联动, 凉亭下(开放空间+), 善集公益一条街
    Org("宁波市海曙区社会组织发展促进会", G, "海曙区", "", rating="5A", registered=date(2010, 11, 18),
        contact=("朱晓红", "13857412639"), address="宁波市海曙区社会组织服务中心",
        description="全省首家区域社会组织服务中心的运营方，搭建区、街道、社区三级社会组织服务平台，承办区公益创投。"),
    Org("海曙区善集公益服务中心", S, "海曙区", "鼓楼街道", rating="4A", registered=date(2016, 5, 10),
        contact=("俞佳", "13780023516"), address="宁波市海曙区善集公益一条街16号",
        description="“宁波善集”公益一条街的运营机构，组织公益集市，推动“五社联动”资源对接。"),
    Org("海曙区凉亭下社区议事促进中心", S, "海曙区", "月湖街道", rating="3A", rating_expired=True, registered=date(2015, 8, 26),
        contact=("王海波", "13906620835"), address="宁波市海曙区月湖街道天一社区",
        description="推广“凉亭下（开放空间+）”居民议事方法，培训社区议事引导员，协助小区自治站开展协商。"),
    Org("海曙区甬志愿服务联合会", G, "海曙区", "", rating="4A", registered=date(2013, 12, 5),
        contact=("郑丽君", "13685843370"), address="宁波市海曙区中山西路138号",
        description="联络区内志愿服务团队，依托“甬·志愿”平台记录志愿服务时长，推动志愿服务积分兑换。"),
    Org("郡庙社区银发志愿服务队", C, "海曙区", "郡庙社区",
        contact=("徐阿英", "13056781249"),
        description="社区老党员组成的志愿队，开展楼道巡查、邻里调解和独居老人探访。"),
    Org("宁波市海曙区锋领公益基金会", F, "海曙区", "", rating="4A", registered=date(2017, 4, 12),
        contact=("孙建军", "13819834427"), address="宁波市海曙区鼓楼街道公园路6号",
        description="支持“锋领巢”党员志愿服务站和社区公益项目，为社区创投提供配套资金。"),
    Org("海曙区邻e家智慧养老服务中心", S, "海曙区", "白云街道", registered=date(2021, 10, 19),
        contact=("蒋晓东", "13777025918"), address="宁波市海曙区白云街道安丰社区",
        description="依托“邻e家”云享邻里中心平台，为居家老人提供智能呼叫、上门照护和健康管理服务。"),
    # 苏州市姑苏区: 政社互动, 孵化基地, 区级微公益创投
    Org(NGO3_ORGANISATION, S, "姑苏区", "平江街道", rating="4A", registered=date(2015, 7, 8),
        contact=("陆雅琴", "13962118735"), address="苏州市姑苏区平江街道钮家巷社区服务中心",
        description="平江历史街区的专业社工机构，承接区级微公益创投项目，为古城老街坊提供居家支持和社区营造服务。"),
    Org("苏州市姑苏区社会组织孵化促进会", G, "姑苏区", "", rating="5A", registered=date(2013, 1, 16),
        contact=("许静", "13812780964"), address="苏州市姑苏区社会组织孵化基地",
        description="运营区社会组织孵化基地，为入驻组织提供场地、督导和能力建设培训，协办姑苏区公益创投大赛。"),
    Org("姑苏区双塔长者关爱服务中心", S, "姑苏区", "双塔街道", rating="3A", registered=date(2018, 3, 23),
        contact=("沈美华", "13915578203"), address="苏州市姑苏区双塔街道锦帆路社区",
        description="为高龄、失能老人提供上门探访、助餐和喘息服务，培育社区为老志愿者。"),
    Org("姑苏区微公益志愿者协会", G, "姑苏区", "", rating="2A", rating_expired=True, registered=date(2014, 9, 11),
        contact=("钱卫东", "13606218457"), address="苏州市姑苏区人民路1188号",
        description="组织志愿者参与区级微公益创投项目实施，开展志愿服务记录和星级评定。"),
    Org("苏州市姑苏区古城保护公益基金会", F, "姑苏区", "", rating="3A", registered=date(2016, 12, 28),
        contact=("顾明远", "13338661290"), address="苏州市姑苏区干将东路178号",
        description="资助古城街巷文化保护、非遗传承和社区营造项目。"),
    Org("钮家巷社区邻里文化社", C, "姑苏区", "钮家巷社区",
        contact=("潘秀娟", "13771812963"),
        description="社区评弹、昆曲兴趣小组和邻里文化节的组织者，由居民骨干自发组建并在街道备案。"),
    Org("姑苏区心桥青少年成长服务中心", S, "姑苏区", "虎丘街道", registered=date(2023, 5, 17),
        contact=("高晨", "15050237716"), address="苏州市姑苏区虎丘街道留园社区",
        description="为流动儿童和困境青少年提供课后陪伴、“四点半课堂”和心理支持服务。"),
)
# fmt: on


def organisation_credit_code(index: int, org: Org) -> str | None:
    """Registered organisations get a valid code; filed 社区社会组织 have none."""
    kind = KIND_BY_TYPE.get(org.org_type)
    if kind is None:
        return None
    # Civil-affairs codes carry an organisation number starting with MJ in positions 9-17.
    return make_credit_code(
        authority="5", kind=kind, area=AREA_BY_DISTRICT[org.district], serial=f"MJ{index + 1:07d}"
    )


def _seed_communities(stdout) -> dict[str, dict[str, Community]]:
    """Returns, per district name, every unit of that district by name (the district itself too)."""
    created = 0
    places: dict[str, dict[str, Community]] = {}
    for spec in DISTRICTS:
        district, new = Community.objects.get_or_create(
            city=spec.city,
            name=spec.name,
            parent=None,
            defaults={
                "level": CommunityLevel.DISTRICT,
                "households": spec.households,
                "population": spec.population,
            },
        )
        created += new
        units = {spec.name: district}
        for subdistrict_name, communities in spec.subdistricts:
            subdistrict, new = Community.objects.get_or_create(
                parent=district,
                name=subdistrict_name,
                defaults={"level": CommunityLevel.SUBDISTRICT, "city": spec.city},
            )
            created += new
            units[subdistrict_name] = subdistrict
            for name, households, population in communities:
                community, new = Community.objects.get_or_create(
                    parent=subdistrict,
                    name=name,
                    defaults={
                        "level": CommunityLevel.COMMUNITY,
                        "city": spec.city,
                        "households": households,
                        "population": population,
                    },
                )
                created += new
                units[name] = community
        places[spec.name] = units
    stdout.write(f"  社区 communities: {created} created")
    return places


def _authority(org: Org, code: str | None, places: dict[str, dict[str, Community]]) -> str:
    if code:
        return f"{CITY_BY_DISTRICT[org.district]}{org.district}民政局"
    # 社区社会组织 are filed (备案) with the 街道 rather than registered with civil affairs.
    community = places[org.district].get(org.community)
    subdistrict = (
        community.parent if community and community.level == CommunityLevel.COMMUNITY else community
    )
    if subdistrict is None:
        return ""
    office = "人民政府" if subdistrict.name.endswith("镇") else "办事处"
    return f"{subdistrict.name}{office}（备案）"


def _seed_organisations(places: dict[str, dict[str, Community]], stdout) -> None:
    today = timezone.localdate()
    created = 0
    for index, org in enumerate(ORGANISATIONS):
        district = places[org.district][org.district]
        code = organisation_credit_code(index, org)
        if org.rating:
            # Ratings run five years; an expired one lapsed last year and was not renewed.
            expires = (
                today - timedelta(days=200 + index)
                if org.rating_expired
                else today + timedelta(days=700 + 30 * index)
            )
        else:
            expires = None
        defaults = {
            "name": org.name,
            "org_type": org.org_type,
            "district": district,
            "community": places[org.district][org.community] if org.community else None,
            "registration_date": org.registered,
            "registration_authority": _authority(org, code, places),
            "rating": org.rating,
            "rating_expires_on": expires,
            "address": org.address,
            "contact_name": org.contact[0],
            "contact_phone": org.contact[1],
            "description": org.description,
        }
        # The natural key is the credit code; a filed organisation has none, so its name in its district.
        if code:
            _, new = Organisation.objects.get_or_create(credit_code=code, defaults=defaults)
        else:
            _, new = Organisation.objects.get_or_create(
                name=org.name, district=district, credit_code=None, defaults=defaults
            )
        created += new
    stdout.write(f"  社会组织 organisations: {created} created ({len(ORGANISATIONS)} in the demo)")


def seed(*, stdout) -> None:
    places = _seed_communities(stdout)
    _seed_organisations(places, stdout)


def demo_district(name: str) -> Community:
    spec = next(d for d in DISTRICTS if d.name == name)
    return Community.objects.get(city=spec.city, name=name, parent=None)


def demo_unit(district: str, name: str) -> Community:
    """A 街道 or 社区 of a demo district, by name (names are unique within a district here)."""
    top = demo_district(district)
    return Community.objects.get(Q(parent=top) | Q(parent__parent=top), name=name)


# --- benchmark data --------------------------------------------------------------------------------

SCALE_SUBDISTRICT = "基准{k:03d}街道"
SCALE_COMMUNITY = "基准{k:03d}-{j:02d}社区"
SCALE_SUFFIX = {
    OrganisationType.SOCIAL_SERVICE: "社会工作服务中心",
    OrganisationType.SOCIAL_GROUP: "志愿服务协会",
    OrganisationType.FOUNDATION: "公益基金会",
    OrganisationType.COMMUNITY_ORG: "邻里互助队",
}
SCALE_TYPES = (S, S, G, C, S, G, F, C, S, G)  # a mix close to the real one: mostly 民非
BATCH = 500


def scale_organisation_plan(n: int) -> list[tuple[int, str, str, str]]:
    """(number, type, district name, organisation name) of the N×100 benchmark organisations."""
    districts = cycle(d.name for d in DISTRICTS)
    plan = []
    for i in range(1, n * 100 + 1):
        org_type = SCALE_TYPES[i % len(SCALE_TYPES)]
        district = next(districts)
        plan.append((i, org_type, district, f"{district}基准{i:05d}{SCALE_SUFFIX[org_type]}"))
    return plan


def seed_scale(*, n: int, stdout) -> None:
    """N×10 communities (N 街道 of 10 社区, spread over the demo districts) and N×100 organisations.

    Rows are built in memory and written with bulk_create in batches; what exists (same natural
    key) is skipped, so running it twice adds nothing.
    """
    districts = {
        d.name: d
        for d in Community.objects.filter(
            level=CommunityLevel.DISTRICT, parent=None, name__in=AREA_BY_DISTRICT
        )
    }
    if len(districts) < len(DISTRICTS):
        raise RuntimeError("seed_scale needs the demo districts: run seed() first.")
    district_cycle = [districts[d.name] for d in DISTRICTS]

    wanted = {
        SCALE_SUBDISTRICT.format(k=k): district_cycle[(k - 1) % len(district_cycle)]
        for k in range(1, n + 1)
    }
    existing = set(
        Community.objects.filter(level=CommunityLevel.SUBDISTRICT, name__in=wanted).values_list(
            "parent_id", "name"
        )
    )
    Community.objects.bulk_create(
        [
            Community(
                name=name, level=CommunityLevel.SUBDISTRICT, parent=district, city=district.city
            )
            for name, district in wanted.items()
            if (district.pk, name) not in existing
        ],
        batch_size=BATCH,
    )
    subdistricts = {
        c.name: c
        for c in Community.objects.filter(
            level=CommunityLevel.SUBDISTRICT, name__in=wanted
        ).select_related("parent")
    }
    existing = set(
        Community.objects.filter(parent__in=subdistricts.values()).values_list("parent_id", "name")
    )
    new_communities = [
        Community(
            name=SCALE_COMMUNITY.format(k=k, j=j),
            level=CommunityLevel.COMMUNITY,
            parent=subdistricts[SCALE_SUBDISTRICT.format(k=k)],
            city=subdistricts[SCALE_SUBDISTRICT.format(k=k)].city,
            households=1_500 + 97 * j,
            population=3_900 + 251 * j,
        )
        for k in range(1, n + 1)
        for j in range(1, 11)
        if (subdistricts[SCALE_SUBDISTRICT.format(k=k)].pk, SCALE_COMMUNITY.format(k=k, j=j))
        not in existing
    ]
    Community.objects.bulk_create(new_communities, batch_size=BATCH)
    stdout.write(f"  基准社区 benchmark communities: {len(new_communities)} created")

    communities_by_district: dict[int, list[Community]] = {}
    for community in (
        Community.objects.filter(parent__in=subdistricts.values())
        .select_related("parent")
        .order_by("pk")
    ):
        communities_by_district.setdefault(community.parent.parent_id, []).append(community)

    plan = scale_organisation_plan(n)
    existing_names = set(
        Organisation.objects.filter(name__in=[name for *_, name in plan]).values_list(
            "name", flat=True
        )
    )
    today = timezone.localdate()
    new_organisations = []
    for i, org_type, district_name, name in plan:
        if name in existing_names:
            continue
        district = districts[district_name]
        kind = KIND_BY_TYPE.get(org_type)
        in_district = communities_by_district.get(district.pk, [])
        rated = bool(kind) and i % 4 != 0
        new_organisations.append(
            Organisation(
                name=name,
                org_type=org_type,
                # "MB" keeps benchmark serials apart from the demo's "MJ" ones.
                credit_code=make_credit_code(
                    authority="5",
                    kind=kind,
                    area=AREA_BY_DISTRICT[district_name],
                    serial=f"MB{i:07d}",
                )
                if kind
                else None,
                district=district,
                community=in_district[i % len(in_district)] if in_district else None,
                registration_date=date(2010 + i % 14, 1 + i % 12, 1 + i % 28),
                registration_authority=f"{district.city}{district.name}民政局" if kind else "",
                rating=("", "3A", "4A", "5A")[i % 4] if rated else "",
                rating_expires_on=today + timedelta(days=(i % 9 - 2) * 180) if rated else None,
                contact_name="联络员",
                contact_phone=f"139{i:08d}",
                description="基准测试数据：用于性能测试的社会组织。",
            )
        )
    Organisation.objects.bulk_create(new_organisations, batch_size=BATCH)
    stdout.write(f"  基准社会组织 benchmark organisations: {len(new_organisations)} created")

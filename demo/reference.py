"""The demo's reference data: the case taxonomy, departments, routing, people and the words cases are made of.

Category codes follow the national standard's two-level scheme (GB/T 30428.2, CJ/T 214): a 2-digit major
class and a 2-digit minor class. Components (部件) keep the standard's major numbers 01–06; events (事件)
number their majors 21–26 (20 + the standard's event major number), so the two trees never share a code:
"0101" is a component minor class, "2101" an event minor class.
"""

from dataclasses import dataclass, field

PASSWORD = "griddemo"
EMAIL_DOMAIN = "demo.local"

# Minutes per stage. Ordinary classes count handling in working days of 8 hours (480 minutes);
# around-the-clock hazards have short limits that run through nights and holidays.
DAY = 480


@dataclass(frozen=True)
class Minor:
    code: str
    name: str
    name_en: str
    handling: int
    weight: float  # how often it is reported, relative to the others
    descriptions: tuple[str, ...]
    filing: int = 60
    dispatch: int = 60
    verification: int = 480
    urgent: bool = False  # around the clock, priority 1, short limits
    priority: int = 3
    publicity: str = "public"  # Category.Publicity: personal matters are never shown to the public


@dataclass(frozen=True)
class Major:
    code: str
    kind: str  # Category.Kind value
    name: str
    name_en: str
    department: str  # the department the major class routes to
    minors: tuple[Minor, ...] = field(default_factory=tuple)


def _urgent(code, name, name_en, handling, weight, descriptions, *, priority=1, verification=120) -> Minor:
    return Minor(
        code,
        name,
        name_en,
        handling,
        weight,
        descriptions,
        filing=15,
        dispatch=15,
        verification=verification,
        urgent=True,
        priority=priority,
    )


TAXONOMY: tuple[Major, ...] = (
    Major(
        "01",
        "component",
        "公用设施",
        "Public utilities",
        "municipal",
        (
            _urgent(
                "0101",
                "井盖缺失",
                "Missing manhole cover",
                120,
                1.5,
                (
                    "人行道上污水井盖缺失，井口敞开，行人夜间经过十分危险",
                    "机动车道雨水井盖丢失，已用锥桶临时围挡",
                ),
            ),
            _urgent(
                "0102",
                "井盖破损",
                "Damaged manhole cover",
                240,
                3,
                ("井盖碎裂下陷，车辆经过有明显异响", "井盖边缘破损翘起，存在绊倒隐患"),
                priority=2,
            ),
            Minor(
                "0103",
                "雨水箅子堵塞",
                "Blocked storm drain grate",
                DAY,
                2,
                ("雨水箅子被落叶和泥沙堵塞，下雨路面积水", "路边雨水口被建筑垃圾堵死"),
            ),
            Minor(
                "0104",
                "路灯损坏",
                "Broken streetlight",
                DAY,
                4,
                ("连续三盏路灯夜间不亮，路段漆黑", "路灯灯杆倾斜，灯罩脱落"),
            ),
            Minor(
                "0105",
                "消防栓损坏",
                "Damaged fire hydrant",
                2 * DAY,
                0.8,
                ("消防栓被车辆撞歪，底部渗水", "消防栓出水口盖帽缺失"),
            ),
            Minor(
                "0106",
                "电力设施损坏",
                "Damaged power equipment",
                DAY,
                0.8,
                ("路边配电箱箱门损坏无法关闭", "架空线缆下垂，离地面过低"),
            ),
        ),
    ),
    Major(
        "02",
        "component",
        "道路交通",
        "Roads and traffic",
        "municipal",
        (
            Minor(
                "0201",
                "道路破损",
                "Damaged road surface",
                3 * DAY,
                4,
                ("机动车道出现大面积坑槽，车辆绕行", "沥青路面开裂破损，雨后积水"),
            ),
            Minor(
                "0202",
                "人行道板松动",
                "Loose paving slabs",
                3 * DAY,
                3,
                ("人行道地砖松动翘起，雨天踩踏溅水", "盲道砖缺失多块"),
            ),
            Minor(
                "0203",
                "交通标志损坏",
                "Damaged traffic sign",
                2 * DAY,
                1.2,
                ("路口限速标志牌被撞弯", "交通指示牌遮挡、字迹褪色看不清"),
            ),
            Minor(
                "0204",
                "护栏损坏",
                "Damaged guardrail",
                2 * DAY,
                1.5,
                ("道路中央隔离护栏被撞倒两节", "人行道护栏锈蚀断裂"),
            ),
            Minor(
                "0205",
                "公交站亭损坏",
                "Damaged bus shelter",
                3 * DAY,
                0.8,
                ("公交站亭玻璃破碎，碎片未清理", "站亭顶棚漏雨，座椅损坏"),
            ),
        ),
    ),
    Major(
        "03",
        "component",
        "市容环境",
        "City appearance facilities",
        "sanitation",
        (
            Minor(
                "0301",
                "垃圾箱损坏",
                "Damaged litter bin",
                2 * DAY,
                2,
                ("路边果皮箱被撞坏，垃圾散落", "分类垃圾桶桶盖缺失"),
            ),
            Minor(
                "0302",
                "公厕设施损坏",
                "Damaged public toilet",
                DAY,
                1.2,
                ("公厕洗手池水龙头损坏，长流水", "公厕照明损坏，蹲位门锁坏"),
            ),
        ),
    ),
    Major(
        "04",
        "component",
        "园林绿化",
        "Parks and greenery",
        "greening",
        (
            Minor(
                "0401",
                "行道树倒伏",
                "Fallen street tree",
                240,
                1,
                ("大风后行道树倒伏，压在人行道上", "行道树断枝悬挂，随时可能掉落"),
                priority=2,
            ),
            Minor(
                "0402",
                "绿地设施损坏",
                "Damaged park furniture",
                3 * DAY,
                1.5,
                ("街头绿地座椅损坏", "绿化带护栏倒伏，花坛边石破损"),
            ),
        ),
    ),
    Major(
        "05",
        "component",
        "房屋土地",
        "Buildings and land",
        "housing",
        (
            _urgent(
                "0501",
                "外墙脱落",
                "Falling facade",
                240,
                0.6,
                ("临街楼房外墙瓷砖脱落，下方为人行道", "老旧楼道外墙抹灰大面积空鼓掉落"),
                priority=2,
            ),
            Minor(
                "0502",
                "宣传栏损坏",
                "Damaged notice board",
                3 * DAY,
                0.8,
                ("社区宣传栏玻璃破碎", "宣传栏立柱锈断，整体倾斜"),
            ),
        ),
    ),
    Major(
        "06",
        "component",
        "其他设施",
        "Other facilities",
        "municipal",
        (
            Minor(
                "0601",
                "健身器材损坏",
                "Damaged fitness equipment",
                3 * DAY,
                1,
                ("小区健身路径单杠松动", "公园健身器材转轴断裂，有安全隐患"),
            ),
            Minor(
                "0602",
                "监控设施损坏",
                "Damaged CCTV camera",
                2 * DAY,
                0.6,
                ("路口监控摄像头被树枝遮挡", "治安监控杆倾斜，线缆裸露"),
            ),
        ),
    ),
    Major(
        "21",
        "event",
        "市容环境",
        "City appearance",
        "sanitation",
        (
            Minor(
                "2101",
                "暴露垃圾",
                "Exposed garbage",
                240,
                9,
                (
                    "小区门口生活垃圾堆放未及时清运，气味较大",
                    "路边绿化带内有成堆生活垃圾",
                    "垃圾桶满溢，周边散落垃圾",
                ),
                filing=30,
                dispatch=30,
            ),
            Minor(
                "2102",
                "积存垃圾渣土",
                "Accumulated waste and muck",
                2 * DAY,
                4,
                ("空地上堆积装修垃圾和渣土", "背街小巷积存建筑垃圾多日无人清理"),
            ),
            Minor(
                "2103",
                "道路不洁",
                "Dirty street",
                240,
                3,
                ("路面油污明显，有大量烟头纸屑", "早市结束后路面遗留大量菜叶垃圾"),
            ),
            Minor(
                "2104",
                "绿地脏乱",
                "Littered green space",
                DAY,
                2.5,
                ("绿地内塑料袋、饮料瓶较多", "绿化带被踩踏，堆放杂物"),
            ),
            Minor(
                "2105",
                "乱堆物堆料",
                "Materials piled in public space",
                DAY,
                2.5,
                ("人行道上堆放建材，阻碍通行", "楼道口堆放废旧家具"),
            ),
        ),
    ),
    Major(
        "22",
        "event",
        "宣传广告",
        "Advertising",
        "enforcement",
        (
            Minor(
                "2201",
                "非法小广告",
                "Illegal flyers",
                DAY,
                7,
                ("电线杆和墙面张贴大量办证小广告", "小区单元门口喷涂疏通管道广告"),
            ),
            Minor(
                "2202",
                "违规户外广告",
                "Unauthorised outdoor advertising",
                3 * DAY,
                2,
                ("店铺门前摆放落地广告牌占用人行道", "楼顶广告牌破损，固定不牢"),
            ),
            Minor(
                "2203",
                "违规悬挂横幅",
                "Unauthorised banner",
                DAY,
                1.5,
                ("行道树上悬挂商业促销横幅", "天桥栏杆上私挂横幅"),
            ),
        ),
    ),
    Major(
        "23",
        "event",
        "施工管理",
        "Construction",
        "housing",
        (
            Minor(
                "2301",
                "施工扰民",
                "Construction noise at night",
                DAY,
                2.5,
                ("工地夜间22点后仍在施工，噪音很大", "凌晨浇筑混凝土，居民无法休息"),
                priority=2,
            ),
            Minor(
                "2302",
                "违章搭建",
                "Illegal construction",
                5 * DAY,
                2.5,
                ("居民楼顶违规加盖彩钢棚", "临街店铺私自向外扩建雨棚"),
            ),
            Minor(
                "2303",
                "道路遗撒",
                "Spilled construction waste",
                240,
                1.5,
                ("渣土车沿途遗撒泥土，路面泥泞", "搅拌车漏浆，路面有成片混凝土"),
            ),
            Minor(
                "2304",
                "施工占道",
                "Construction blocking the road",
                2 * DAY,
                1.5,
                ("施工围挡超出审批范围占用车道", "施工完毕围挡未拆除"),
            ),
        ),
    ),
    Major(
        "24",
        "event",
        "突发事件",
        "Emergencies",
        "water",
        (
            _urgent(
                "2401",
                "路面塌陷",
                "Road collapse",
                240,
                0.6,
                ("路面突然塌陷出一个约一米宽的坑", "人行道下沉开裂，有继续塌陷的迹象"),
            ),
            _urgent(
                "2402",
                "水管爆裂",
                "Burst water main",
                180,
                1,
                ("自来水管爆裂，路面大量冒水", "小区外供水管漏水严重，周边停水"),
            ),
            _urgent(
                "2403",
                "道路积水",
                "Street flooding",
                240,
                1.5,
                ("暴雨后路口积水没过脚踝，车辆熄火", "下穿通道积水严重，已有车辆被困"),
                priority=2,
            ),
            Minor(
                "2404",
                "下水道堵塞",
                "Blocked sewer",
                DAY,
                2.5,
                ("下水道堵塞，污水漫溢到路面", "化粪池外溢，臭味严重"),
                priority=2,
            ),
        ),
    ),
    Major(
        "25",
        "event",
        "街面秩序",
        "Street order",
        "enforcement",
        (
            Minor(
                "2501",
                "占道经营",
                "Street vending on the roadway",
                240,
                7,
                ("流动摊贩在人行道上摆摊卖水果", "夜市摊点占用机动车道经营"),
            ),
            Minor(
                "2502",
                "店外经营",
                "Business spilling out of the shop",
                240,
                6,
                ("餐馆在店门外摆桌经营，占用人行道", "汽修店在店外路边修车"),
            ),
            Minor(
                "2503",
                "非机动车乱停放",
                "Bicycles parked in disorder",
                240,
                4,
                ("共享单车堆积在地铁口，阻碍通行", "电动车停放占满盲道"),
            ),
            Minor(
                "2504",
                "露天烧烤",
                "Open-air barbecue",
                240,
                1.5,
                ("夜间在路边露天烧烤，油烟扰民", "烧烤摊占道经营，地面油污严重"),
            ),
            # A personal matter: reported and handled like any other, never on the public channels. No
            # weight: the demo's history has none, a resident may report one.
            Minor(
                "2505",
                "邻里纠纷",
                "Dispute between neighbours",
                3 * DAY,
                0,
                ("楼上住户长期深夜噪音，协商无果", "邻居占用楼道堆放杂物引发争执"),
                publicity="never",
            ),
        ),
    ),
    Major(
        "26",
        "event",
        "市场监管",
        "Market regulation",
        "market",
        (
            Minor(
                "2601",
                "无照经营",
                "Unlicensed business",
                3 * DAY,
                2,
                ("临街门面无营业执照经营", "居民楼内开设无证小作坊"),
            ),
            Minor(
                "2602",
                "食品摊点卫生",
                "Unhygienic food stall",
                2 * DAY,
                1.5,
                ("早餐摊点无防蝇设施，从业人员无健康证", "学校周边小卖部售卖过期零食"),
            ),
        ),
    ),
)


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    resolutions: tuple[str, ...]  # what this department typically writes when it reports a fix


DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec(
        "sanitation",
        "区环境卫生管理所",
        ("已安排保洁人员清运完毕，现场恢复整洁", "已清扫冲洗，增加巡回保洁频次"),
    ),
    DepartmentSpec(
        "municipal",
        "区市政公用设施管理所",
        ("已更换新井盖并加装防坠网", "已完成路面修补，恢复通行", "设施已维修加固"),
    ),
    DepartmentSpec(
        "greening", "区园林绿化管理所", ("倒伏树木已移除，断枝已修剪", "绿地已清理，损坏设施已修复")
    ),
    DepartmentSpec(
        "enforcement",
        "区城市管理综合执法大队",
        ("已现场劝离并责令整改", "已依法清除，对当事人进行了教育", "违法建筑已拆除"),
    ),
    DepartmentSpec("water", "区水务局", ("已关阀抢修，管道修复并恢复供水", "已疏通管道，积水已排除")),
    DepartmentSpec(
        "housing", "区住房和城乡建设局", ("已责令施工单位停止夜间施工", "已督促物业排除隐患并修复")
    ),
    DepartmentSpec(
        "market", "区市场监督管理局", ("已立案调查，当事人已停止经营", "已责令整改，并纳入重点监管")
    ),
    DepartmentSpec("power", "东湖供电中心（路灯）", ("已更换灯具，路灯恢复照明", "已抢修线路并恢复供电")),
    DepartmentSpec("traffic", "交警东湖大队", ("交通标志已更换", "已联系设施维护单位修复")),
)

# Minor-class overrides of the major class's department.
MINOR_ROUTES = {
    "0104": "power",  # streetlights belong to the power company's lighting unit
    "0105": "water",
    "0106": "power",
    "0203": "traffic",
    "2104": "greening",
    "2302": "enforcement",  # illegal construction is demolished by the enforcement brigade
    "2401": "municipal",
}
# (minor class, index into the layout's streets, department): street-specific routing.
STREET_ROUTES = (
    ("2403", 4, "municipal"),  # low-lying streets: the municipal drainage team pumps out flooding
    ("2301", 1, "enforcement"),  # this street's noise complaints go to its enforcement squad
)
# Clear-cut classes the dispatch center lets the routing rule file and dispatch on its own.
AUTO_DISPATCH = ("0104", "2101")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕熊万"
GIVEN_NAMES = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "华",
    "慧",
    "建国",
    "丽",
    "晨",
    "婷",
    "志强",
    "文",
)
ROADS = (
    "八一大道",
    "中山路",
    "胜利路",
    "阳明路",
    "叠山路",
    "象山北路",
    "孺子路",
    "船山路",
    "民德路",
    "环湖路",
    "北京西路",
    "福州路",
    "苏圃路",
    "永叔路",
    "墩子塘路",
    "贤士路",
    "豫章路",
    "沿江北大道",
    "榕门路",
    "子固路",
    "渊明北路",
    "二七北路",
    "青山南路",
    "广场北路",
    "百花洲路",
    "佑民寺路",
)
PLACES = ("号门口", "号附近", "号对面", "号旁小巷", "号小区大门", "号公交站旁", "号路口")

REJECT_REASONS = (
    "现场核实无此问题",
    "上报信息不全，照片与描述不符，无法核实",
    "属于小区物业内部管理事项，已告知居民联系物业",
    "非城市管理类问题，已引导通过12345热线转办",
)
DUPLICATE_REASON = "与已受理案件为同一问题，重复上报"
RETURN_REASONS = (
    "该问题不属于本部门职责范围，请重新派遣",
    "设施产权不属于本单位，建议派往对口部门",
    "经现场查看，该事项应由其他部门处置",
)
EXTENSION_REASONS = (
    "需等待配件到货，申请延期",
    "涉及多个产权单位，需协调后处置",
    "连续降雨无法施工，申请延期",
    "需办理占道施工审批手续",
)
EXTENSION_DENIALS = ("延期理由不充分，请按时处置", "问题影响群众出行，不予延期，请尽快处理")
EXTENSION_APPROVALS = ("同意延期，请在期限内完成", "情况属实，同意延期")
SUSPEND_REASONS = (
    "涉及产权纠纷，待相关部门认定后再处置",
    "需纳入年度改造计划统一实施，暂时挂账",
    "等待上级部门批复资金",
)
RESUME_NOTES = ("纠纷已认定，恢复处置", "资金已落实，恢复处置", "挂账原因消除，继续办理")
VERIFY_FAIL_REASONS = (
    "现场复核问题仍然存在，未处置到位",
    "处置不彻底，周边仍有遗留",
    "修复质量不合格，已再次松动",
)
VERIFY_PASS_NOTES = ("现场核查已处置到位", "复核通过", "")
HOTLINE_CALLERS = ("市民王先生", "市民李女士", "市民陈先生", "市民刘女士", "匿名市民")

# Residents' ID numbers start with the district's administrative code (GB 11643 address code).
DISTRICT_ID_PREFIX = "360102"

"""Fictional residents: GB 11643 ID numbers, Chinese names, phones and birth dates.

Everything here is driven by a caller's ``random.Random`` so that a seed fixes
every person. ID numbers carry a real ISO 7064 MOD 11-2 check digit and a real
birth date, so they pass the same validation as a resident's card would.
"""

from __future__ import annotations

import datetime as dt
import random

# The demo county's own area code, its neighbours, and places people marry in from.
AREA_HOME = "430121"
AREAS_NEAR = ("430102", "430111", "430124", "430181", "430521", "431021")
AREAS_FAR = ("440306", "441900", "330104", "320583", "360102", "420106", "500103")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """GB 11643 check character for the first 17 digits of an ID number."""
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def id15_from_id18(id18: str) -> str:
    """The legacy 15-digit form of an 18-digit ID of someone born 19xx."""
    return id18[:6] + id18[8:17]


def is_male(id18: str) -> bool:
    """The 17th digit is odd for men, even for women."""
    return int(id18[16]) % 2 == 1


def shift_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later (29 Feb falls back to 28 Feb)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def age_at(birth: dt.date, on: dt.date) -> int:
    """Completed years at ``on``."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def birth_for_age(age: int, on: dt.date, rng: random.Random) -> dt.date:
    """A uniformly drawn birth date giving exactly ``age`` completed years at ``on``."""
    latest = shift_years(on, -age)
    earliest = shift_years(on, -age - 1) + dt.timedelta(days=1)
    return earliest + dt.timedelta(days=rng.randrange((latest - earliest).days + 1))


class IdAllocator:
    """Hands out distinct 18-digit IDs; the sequence code's parity gives the sex."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def allocate(self, area: str, birth: dt.date, male: bool) -> str:
        """A fresh valid ID for this area, birth date and sex."""
        prefix = f"{area}{birth:%Y%m%d}"
        while True:
            seq = self._rng.randrange(1, 500) * 2 - (1 if male else 0)
            body = f"{prefix}{seq:03d}"
            if body not in self._used:
                self._used.add(body)
                return body + check_digit(body)

    def allocate_invalid_birth(self, area: str, male: bool) -> str:
        """An ID with a correct check digit over an impossible birth date (e.g. 0230)."""
        year = 1940 + self._rng.randrange(50)
        month, day = self._rng.choice(((2, 30), (2, 31), (4, 31), (13, 5), (6, 0)))
        seq = self._rng.randrange(1, 500) * 2 - (1 if male else 0)
        body = f"{area}{year}{month:02d}{day:02d}{seq:03d}"
        return body + check_digit(body)


def home_area(rng: random.Random) -> str:
    """Area code of a roster resident: mostly the home county."""
    r = rng.random()
    if r < 0.9:
        return AREA_HOME
    return rng.choice(AREAS_NEAR) if r < 0.96 else rng.choice(AREAS_FAR)


def outside_area(rng: random.Random) -> str:
    """Area code of someone who lives elsewhere."""
    return rng.choice(AREAS_FAR) if rng.random() < 0.6 else rng.choice(AREAS_NEAR)


# Common surnames, the Hunan ones first and heavier.
_SURNAMES = (
    ("刘", 9), ("李", 8), ("陈", 7), ("张", 7), ("王", 7), ("彭", 5), ("谭", 5), ("罗", 5),
    ("周", 5), ("胡", 5), ("唐", 5), ("邓", 4), ("曾", 4), ("易", 3), ("黄", 5), ("杨", 4),
    ("吴", 3), ("赵", 3), ("肖", 3), ("何", 3), ("郭", 2), ("欧阳", 1), ("龙", 2), ("汤", 2),
    ("贺", 2), ("袁", 2), ("朱", 2), ("徐", 2), ("许", 2), ("廖", 2), ("文", 2), ("苏", 1),
    ("蒋", 2), ("姜", 1), ("熊", 2), ("雷", 1), ("聂", 1), ("喻", 1), ("戴", 1), ("田", 1),
)  # fmt: skip
_SURNAME_CUM: list[int] = []
for _name, _w in _SURNAMES:
    _SURNAME_CUM.append((_SURNAME_CUM[-1] if _SURNAME_CUM else 0) + _w)

# Given-name characters by generation and sex: older names differ from newer ones.
_GIVEN = {
    ("old", True): "德福贵富满堂国华建明春生海清金银长林发财和平正义光荣庆云志强炳焕锡",
    ("old", False): "秀英兰桂芳梅珍凤玉莲翠娥菊香秋月淑琴素娟冬花美荷",
    ("mid", True): "伟军勇斌峰辉刚杰涛磊波超鹏飞志强明亮建文国庆红卫东平",
    ("mid", False): "丽娟敏静艳萍燕红霞玲芳琼英慧琳莉娜晓春雪梅",
    ("new", True): "浩宇轩子涵梓睿博文俊熙泽昊然宸铭晨阳逸凡一诺奕辰",
    ("new", False): "欣怡雨涵梓萱诗语思彤可馨紫琪佳悦梦瑶依晴若汐雅婷",
}


def person_name(birth: dt.date, male: bool, rng: random.Random) -> str:
    """A plausible Chinese name for someone born on ``birth``."""
    surname = rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM)[0][0]
    era = "old" if birth.year < 1960 else ("mid" if birth.year < 1990 else "new")
    pool = _GIVEN[(era, male)]
    length = 1 if rng.random() < (0.35 if era == "old" else 0.2) else 2
    return surname + "".join(rng.choice(pool) for _ in range(length))


def with_surname(name: str, relative: str) -> str:
    """``name`` with the family name of ``relative`` (children take the head's surname)."""

    def surname(n: str) -> str:
        return n[:2] if n.startswith("欧阳") else n[:1]

    return surname(relative) + name[len(surname(name)) :]


def phone_number(rng: random.Random) -> str:
    """A mainland mobile number, 1[3-9] followed by nine digits."""
    return f"1{rng.choice('3578935789')}{rng.randrange(10**9):09d}"

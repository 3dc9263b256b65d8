"""The demo township's calibrated truth, held in memory before any file is written.

Who lives in which village, who got which dose on which day at which clinic,
and what every ledger says. With the demo config at the default scale the
category sizes below reproduce the seed report's figures exactly; scaled runs
multiply them. Files are rendered from this plan (render.py) and the expected
figures are computed from it (truth.py), never from the files.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass
from typing import NamedTuple

from epireport.config import Clinic, TownshipConfig, Village
from epireport.demo import people

DAY = dt.timedelta(days=1)
VACCINATION_START = dt.date(2020, 12, 15)

# Base persons by age band at R; P18 = elderly + adult = 22489, P60 = 8391.
BANDS: dict[str, tuple[int, int, int]] = {
    # band: (youngest age, oldest age, persons at default scale)
    "elderly": (60, 99, 8391),
    "adult": (18, 59, 14098),
    "teen": (12, 17, 2501),
    "child": (3, 11, 3380),
    "infant": (0, 2, 690),
}
OUT_OF_BASE = {"deceased": 372, "moved_out": 218}
DEFAULT_PERSONS = sum(b[2] for b in BANDS.values()) + sum(OUT_OF_BASE.values())  # 29650
NON_ROSTER_PERSONS = 260
TWO_ROSTER_PERSONS = 45
LEGACY_ID_PERSONS = 350

# Dose patterns per band, most reluctant first ("le": dated <= R, "late": after R).
# elderly: V60_1 = everything from d1 on = 7663; V60_2 = d2 + d2_late3 + d3 = 7275.
# booster = elderly d3 + adult d3 = 5960 + 12456 = 18416.
PATTERNS = ("none", "late1", "d1", "d1_late2", "d1_vlist_early", "d2", "d2_late3", "d3")
CATEGORY_SIZES: dict[str, dict[str, int]] = {
    "elderly": {"late1": 52, "d1": 337, "d1_late2": 45, "d1_vlist_early": 6,
                "d2": 1225, "d2_late3": 90, "d3": 5960},
    "adult": {"late1": 20, "d1": 220, "d1_late2": 20, "d2": 1030, "d2_late3": 120, "d3": 12456},
    "teen": {"late1": 10, "d1": 70, "d1_late2": 10, "d2": 2298},
    "child": {"late1": 10, "d1": 300, "d1_late2": 10, "d2": 2650},
    "infant": {},
}  # fmt: skip
# Earliest first dose per band (the national rollout by age group).
FIRST_DOSE_FROM = {
    "elderly": dt.date(2021, 4, 1),
    "adult": dt.date(2021, 3, 15),
    "teen": dt.date(2021, 7, 20),
    "child": dt.date(2021, 10, 28),
}
MAKERS_ADULT = (("北京生物", 45), ("北京科兴", 35), ("国药中生武汉", 20))
MAKERS_CHILD = (("北京生物", 55), ("北京科兴", 45))
SEQUENTIAL_MAKERS = ("智飞龙科马", "康希诺")

STATUS_IN_BASE = ("at_home", "away_work", "away_study", "away")

PUBLICITY_TOTALS = {
    "broadcast": 203418,
    "poster": 2537,
    "banner": 258,
    "leaflet": 92310,
    "audio": 42000,
    "talk": 65000,
}
# Rows per village and kind at default scale: (fewest, most).
PUBLICITY_ROWS = {
    "broadcast": (10, 20),
    "poster": (2, 5),
    "banner": (2, 4),
    "leaflet": (4, 9),
    "audio": (5, 10),
    "talk": (5, 10),
}
PUBLICITY_PLACES = ("村部", "文化广场", "集市", "村小学门口", "主干道", "卫生室", "各村民小组")

# Place-name cores for synthesized villages.
_CORE_A = "红古三五灯新马凤梨栗茶杉樟鹤水田板坪清团沙麻油金兴太永安和长东西南北狮象"
_CORE_B = "岩城溪里塔塘鞍凰树山园木冲井口心桥上水堡湾田坡洲坝岗垅峰林湖铺"
RESERVED_WORDS = ("红星", "白沙", "卫生", "人口", "宣传", "网格", "台账", "填报", "说明")


class DoseRecord(NamedTuple):
    """One vaccination as some file states it (a clinic export or a village's list)."""

    pid: int
    dose: int
    on: dt.date
    site: int
    vaccine: str
    sequential: bool


@dataclass(slots=True)
class Person:
    pid: int
    id18: str
    name: str
    birth: dt.date
    phone: str
    band: str
    village: int
    status: str
    on_roster: bool
    mode: str = "门诊"
    legacy15: bool = False
    second_village: int = -1
    second_status: str = ""
    second_group: int = 0
    group: int = 0
    household: int = 0
    relation: str = ""


@dataclass(frozen=True)
class PublicityRow:
    on: dt.date
    kind: str
    quantity: int
    place: str


@dataclass(frozen=True)
class VerificationRow:
    pushed_on: dt.date
    source: str
    pid: int
    village: int
    result: str
    measure: str
    completed_on: dt.date | None


@dataclass(frozen=True)
class GridRow:
    code: str
    village: int
    leader: str
    workers: int
    households: int
    visited: int
    visited_on: dt.date
    checked: int


@dataclass(frozen=True)
class KeyPlaceRow:
    on: dt.date
    place: str
    place_type: str
    village: int
    problems: int
    rectified: bool


@dataclass(frozen=True)
class MeetingRow:
    on: dt.date
    title: str
    kind: str
    doc_number: str


@dataclass(frozen=True)
class DemonstrationRow:
    village: int
    taking_part: bool
    stage: str
    party_members: int
    volunteers: int


@dataclass(frozen=True)
class ReserveRow:
    clinic: int
    on: dt.date
    items: dict[str, int]


@dataclass
class Plan:
    """Everything the demo inbox says, as plain data."""

    config: TownshipConfig
    seed: int
    scale: float
    cutoff: dt.date
    ids: people.IdAllocator
    persons: list[Person]
    sites: list[str]
    clinic_records: list[list[DoseRecord]]
    village_lists: dict[int, list[DoseRecord]]
    publicity: dict[int, list[PublicityRow]]
    publicity_draft: dict[int, list[PublicityRow]]
    verification: list[VerificationRow]
    grids: list[GridRow]
    key_places: list[KeyPlaceRow]
    meetings: list[MeetingRow]
    demonstration: list[DemonstrationRow]
    reserves: list[ReserveRow]
    reserve_quotas: dict[int, dict[str, int]]
    households: dict[int, int]
    groups: dict[int, int]
    roles: dict[str, tuple[int, ...]]

    @property
    def villages(self) -> tuple[Village, ...]:
        return self.config.villages


def _scaled(value: int, scale: float) -> int:
    return round(value * scale)


def _triangular_day(rng: random.Random, lo: dt.date, hi: dt.date, peak: float = 0.2) -> dt.date:
    span = (hi - lo).days
    if span <= 0:
        return lo
    return lo + dt.timedelta(days=int(rng.triangular(0, span, span * peak)))


def _uniform_day(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randrange(max((hi - lo).days, 0) + 1))


def resolve_config(config: TownshipConfig, villages: int | None, seed: int) -> TownshipConfig:
    """The config trimmed to, or extended with synthesized villages up to, ``villages``."""
    if villages is None or villages == len(config.villages):
        return config
    if villages < len(config.villages):
        kept = config.villages[:villages]
        codes = {v.code for v in kept}
        clinics = tuple(c for c in config.clinics if c.village_code in (None, *codes))
        return _with(config, villages=kept, clinics=clinics)
    rng = random.Random(f"{seed}-villages")
    taken = [label for v in config.villages for label in (v.name, *v.aliases)]
    taken += [config.township.name, *RESERVED_WORDS]
    cores = [a + b for a in _CORE_A for b in _CORE_B if a != b]
    rng.shuffle(cores)
    width = max(2, len(str(villages)))
    existing_codes = {v.code for v in config.villages}
    extra: list[Village] = []
    number = len(config.villages)
    for core in cores:
        if len(config.villages) + len(extra) == villages:
            break
        if any(core in t or t in core for t in taken):
            continue
        number += 1
        code = f"{number:0{width}d}"
        while code in existing_codes:
            number += 1
            code = f"{number:0{width}d}"
        community = rng.random() < 0.08
        name = core + ("社区" if community else "村")
        aliases = (core, core + ("居委会" if community else "村委会"))
        extra.append(Village(code=code, name=name, aliases=aliases))
        taken += [name, *aliases]
    if len(config.villages) + len(extra) < villages:
        raise ValueError(f"cannot synthesize {villages} distinct village names")
    return _with(config, villages=(*config.villages, *extra), clinics=config.clinics)


def _with(
    config: TownshipConfig, villages: tuple[Village, ...], clinics: tuple[Clinic, ...]
) -> TownshipConfig:
    """A re-validated copy with other villages and clinics (so aliases stay unambiguous)."""
    data = config.model_dump()
    data["villages"] = [v.model_dump() for v in villages]
    data["clinics"] = [c.model_dump() for c in clinics]
    return TownshipConfig.model_validate(data)


def _age_weights(band: str) -> tuple[list[int], list[float]]:
    lo, hi, _ = BANDS[band]
    ages = list(range(lo, hi + 1))
    if band == "elderly":
        table = ((64, 10), (69, 9), (74, 7), (79, 5), (84, 3), (89, 1.6), (94, 0.5), (99, 0.12))
        weights = [next(w for top, w in table if a <= top) for a in ages]
    elif band == "adult":
        weights = [5.0 if a <= 22 else 4.0 if a <= 34 else 5.0 if a <= 44 else 7.0 for a in ages]
    else:
        weights = [1.0] * len(ages)
    return ages, weights


def _edge_births(band: str, cutoff: dt.date) -> list[tuple[dt.date, str | None]]:
    """Birth dates on the age boundaries, each with the dose pattern it is forced into."""

    def exact(years: int) -> dt.date:
        return people.shift_years(cutoff, -years)

    def after(years: int) -> dt.date:
        return exact(years) + DAY

    edges: dict[str, list[tuple[dt.date, str | None]]] = {
        # 60 exactly on R (in P60, 2nd dose dated R); born on 29 Feb.
        "elderly": [(exact(60), "d2")] * 3 + [(dt.date(1960, 2, 29), None)],
        # 60 the day after R (not in P60; booster counts), 18 exactly on R (booster dated R).
        "adult": [(after(60), "d3")] * 3 + [(exact(18), "d3")] * 3,
        # 18 the day after R, with a booster: counted in no figure. 12 exactly on R.
        "teen": [(after(18), "d3")] * 3 + [(exact(12), None)] * 2,
        "child": [(after(12), None)] * 2 + [(exact(3), None)] * 2,
        "infant": [(after(3), None)] * 2,
    }
    return edges[band]


class _Builder:
    """Builds a Plan step by step; one instance per generation."""

    def __init__(self, config: TownshipConfig, seed: int, scale: float) -> None:
        self.config = config
        self.seed = seed
        self.scale = scale
        self.cutoff = config.cutoff_date or config.period.end
        if self.cutoff < dt.date(2022, 1, 1):
            raise ValueError("the demo needs a cut-off date R from 2022 on (boosters began 2021)")
        self.rng = random.Random(seed)
        self.ids = people.IdAllocator(random.Random(f"{seed}-ids"))
        self.persons: list[Person] = []
        self.groups: dict[int, int] = {}
        n = len(config.villages)
        if n < 5:
            raise ValueError("the demo needs at least 5 villages")
        self.roles = {
            "village_lists": tuple(sorted({0, 1, 3})),
            "low_coverage": tuple(sorted({7 % n, 12 % n, 17 % n} - {0, 1, 3})),
            "duplicate_publicity": (3,),
            "corrected_publicity": (4,),
            "missing_grid": tuple(sorted({(6 + 10 * k) % n for k in range(max(1, n // 10))})),
        }
        rng = self.rng
        self.weights = [
            rng.uniform(0.6, 1.4) * (1.5 if v.name.endswith("社区") else 1.0)
            for v in config.villages
        ]
        self.cum_weights: list[float] = []
        for w in self.weights:
            self.cum_weights.append((self.cum_weights[-1] if self.cum_weights else 0) + w)
        wsy = [i for i, c in enumerate(config.clinics) if c.kind == "镇卫生院"]
        if not wsy:
            raise ValueError("the demo needs a 镇卫生院 among the config's clinics")
        self.main_clinic = wsy[0]
        code_to_index = {v.code: i for i, v in enumerate(config.villages)}
        self.village_clinic: dict[int, int] = {}
        for i, c in enumerate(config.clinics):
            if c.village_code is not None:
                self.village_clinic.setdefault(code_to_index[c.village_code], i)
        county = config.township.county or "县"
        self.sites = [c.name for c in config.clinics] + [f"{county}人民医院"]

    # --- persons -------------------------------------------------------------------------

    def _village(self) -> int:
        return self.rng.choices(range(len(self.weights)), cum_weights=self.cum_weights)[0]

    def _new_person(
        self, birth: dt.date, band: str, status: str, on_roster: bool, area: str, village: int
    ) -> Person:
        rng = self.rng
        male = rng.random() < 0.5
        id18 = self.ids.allocate(area, birth, male)
        age = people.age_at(birth, self.cutoff)
        no_phone = (age < 16 and rng.random() < 0.7) or rng.random() < 0.06
        person = Person(
            pid=len(self.persons),
            id18=id18,
            name=people.person_name(birth, male, rng),
            birth=birth,
            phone="" if no_phone else people.phone_number(rng),
            band=band,
            village=village,
            status=status,
            on_roster=on_roster,
        )
        self.persons.append(person)
        return person

    def _status(self, age: int) -> str:
        """A plausible 居住状态 for someone of ``age`` who stays in the base."""
        r = self.rng.random()
        if age >= 70:
            return "at_home" if r < 0.95 else "away"
        if age >= 60:
            return "at_home" if r < 0.9 else ("away" if r < 0.95 else "away_work")
        if age >= 51:
            return "at_home" if r < 0.75 else "away_work"
        if age >= 23:
            return "at_home" if r < 0.5 else ("away_work" if r < 0.95 else "away")
        if age >= 18:
            return "away_study" if r < 0.4 else ("away_work" if r < 0.7 else "at_home")
        if age >= 12:
            return "at_home" if r < 0.9 else "away_study"
        return "at_home"

    def build_residents(self) -> dict[str, list[tuple[Person, str | None]]]:
        """Base persons by band, each with its forced dose pattern (or None)."""
        rng, cutoff = self.rng, self.cutoff
        by_band: dict[str, list[tuple[Person, str | None]]] = {}
        for band, (_, _, size) in BANDS.items():
            ages, weights = _age_weights(band)
            edges = _edge_births(band, cutoff)
            total = max(_scaled(size, self.scale), len(edges))
            births = list(edges)
            for age in rng.choices(ages, weights=weights, k=total - len(edges)):
                births.append((people.birth_for_age(age, cutoff, rng), None))
            members = []
            for birth, forced in births:
                age = people.age_at(birth, cutoff)
                person = self._new_person(
                    birth, band, self._status(age), True, people.home_area(rng), self._village()
                )
                members.append((person, forced))
            by_band[band] = members
        return by_band

    def build_others(self) -> tuple[list[Person], list[Person]]:
        """Roster persons outside the base (死亡/迁出) and vaccinated non-residents."""
        rng, cutoff = self.rng, self.cutoff
        out: list[Person] = []
        for status, size in OUT_OF_BASE.items():
            for _ in range(_scaled(size, self.scale)):
                if status == "deceased":
                    age = rng.randint(70, 99) if rng.random() < 0.85 else rng.randint(30, 69)
                else:
                    age = rng.randint(20, 50)
                birth = people.birth_for_age(age, cutoff, rng)
                out.append(
                    self._new_person(
                        birth, "out", status, True, people.home_area(rng), self._village()
                    )
                )
        visitors: list[Person] = []
        for _ in range(max(3, _scaled(NON_ROSTER_PERSONS, self.scale))):
            r = rng.random()
            age = rng.randint(60, 85) if r < 0.2 else rng.randint(18, 59) if r < 0.9 else 16
            birth = people.birth_for_age(age, cutoff, rng)
            area = people.outside_area(rng)
            visitors.append(self._new_person(birth, "nonres", "", False, area, self._village()))
        return out, visitors

    def _families(self, members: list[Person]) -> list[tuple[list[Person], Person | None]]:
        """Members grouped into households, head first, each with the head's spouse if any.

        Heads take a spouse of about their age, children 22-38 years and grandchildren
        45-65 years younger from per-(age, sex) pools, so the work stays linear.
        """
        rng, cutoff = self.rng, self.cutoff
        age = {p.pid: people.age_at(p.birth, cutoff) for p in members}
        pool: dict[tuple[int, bool], list[Person]] = {}
        for p in members:
            pool.setdefault((age[p.pid], people.is_male(p.id18)), []).append(p)
        taken: set[int] = set()

        def take(lo: int, hi: int, male: bool | None = None) -> Person | None:
            years = list(range(max(lo, 0), hi + 1))
            rng.shuffle(years)
            for year in years:
                for sex in (True, False) if male is None else (male,):
                    bucket = pool.get((year, sex), [])
                    while bucket and bucket[-1].pid in taken:
                        bucket.pop()
                    if bucket:
                        taken.add(bucket[-1].pid)
                        return bucket.pop()
            return None

        families: list[tuple[list[Person], Person | None]] = []
        for head in sorted(members, key=lambda p: -age[p.pid]):
            if head.pid in taken or age[head.pid] < 20:
                continue
            taken.add(head.pid)
            a = age[head.pid]
            spouse = None
            if rng.random() < 0.75:
                spouse = take(max(20, a - 6), a + 6, not people.is_male(head.id18))
            family = [head] + ([spouse] if spouse else [])
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                family += [c for c in (take(a - 38, a - 22),) if c]
            if a >= 50:
                for _ in range(rng.choice((0, 0, 1, 2))):
                    family += [c for c in (take(a - 65, a - 45),) if c]
            families.append((family, spouse))
        for p in members:
            # Children nobody took in, and the odd lodger, join some household as 其他/子女.
            if p.pid not in taken:
                families[rng.randrange(len(families))][0].append(p)
        return families

    def arrange_households(self) -> dict[int, int]:
        """Households, 村民小组 and 与户主关系 per village; returns households per village."""
        cutoff = self.cutoff
        by_village: dict[int, list[Person]] = {i: [] for i in range(len(self.weights))}
        for p in self.persons:
            if p.on_roster:
                by_village[p.village].append(p)
        households: dict[int, int] = {}
        household_id = 0
        for village, members in by_village.items():
            families = self._families(members) if members else []
            groups = min(40, max(3, round(len(members) / 150)))
            self.groups[village] = groups
            for h, (family, spouse) in enumerate(families):
                household_id += 1
                head = family[0]
                head_age = people.age_at(head.birth, cutoff)
                for p in family:
                    p.household = household_id
                    p.group = 1 + h * groups // len(families)
                    gap = head_age - people.age_at(p.birth, cutoff)
                    p.relation = _relation(p is head, p is spouse, gap)
                    if p.relation in ("子女", "孙子女"):
                        p.name = people.with_surname(p.name, head.name)
            households[village] = len(families)
        return households

    def mark_rosters(self) -> None:
        """15-digit legacy IDs on rosters, and persons listed by two villages."""
        rng = self.rng
        born_19xx = [p for p in self.persons if p.on_roster and p.birth.year < 2000]
        elderly_first = sorted(born_19xx, key=lambda p: (p.birth.year >= 1962, rng.random()))
        for p in elderly_first[: _scaled(LEGACY_ID_PERSONS, self.scale)]:
            p.legacy15 = True
        # Two rosters: only people under 60 in the base, so per-village P60 stays unambiguous.
        candidates = [p for p in self.persons if p.band in ("adult", "teen", "child")]
        n = len(self.weights)
        for p in rng.sample(candidates, max(2, _scaled(TWO_ROSTER_PERSONS, self.scale))):
            p.second_village = (p.village + rng.randrange(1, n)) % n
            p.second_status = rng.choice(STATUS_IN_BASE[:2])
            p.second_group = rng.randint(1, self.groups[p.second_village])

    # --- vaccination ---------------------------------------------------------------------

    def _modes(self, p: Person) -> str:
        """The usual way this person was vaccinated: bedridden elders get 上门."""
        r = self.rng.random()
        age = people.age_at(p.birth, self.cutoff)
        if age >= 80:
            return "上门" if r < 0.4 else "接送" if r < 0.55 else "门诊"
        if age >= 60:
            return (
                "上门" if r < 0.05 else "接送" if r < 0.13 else "临时接种点" if r < 0.28 else "门诊"
            )
        if age >= 18:
            return "临时接种点" if r < 0.3 else "门诊"
        if age >= 12:
            return "临时接种点" if r < 0.55 else "门诊"
        return "临时接种点" if r < 0.45 else "上门" if r < 0.5 else "接送" if r < 0.56 else "门诊"

    def _dates(self, pattern: str, band: str) -> list[tuple[int, dt.date]]:
        """(dose, date) events of a dose pattern; the rollout order by band is kept."""
        rng, cutoff = self.rng, self.cutoff
        start = max(VACCINATION_START, min(FIRST_DOSE_FROM[band], cutoff - 300 * DAY))
        if pattern == "none":
            return []
        if pattern == "late1":
            return [(1, cutoff + rng.randint(1, 70) * DAY)]
        if pattern == "d1":
            if rng.random() < 0.5:
                return [(1, _triangular_day(rng, start, cutoff - 30 * DAY))]
            return [(1, _uniform_day(rng, cutoff - 45 * DAY, cutoff))]
        if pattern == "d1_late2":
            d1 = cutoff - rng.randint(0, 19) * DAY
            return [(1, d1), (2, d1 + rng.randint(21, 40) * DAY)]
        if pattern == "d1_vlist_early":
            return [(1, cutoff - rng.randint(0, 8) * DAY)]
        if pattern == "d2":
            d1 = _triangular_day(rng, start, cutoff - 60 * DAY)
            return [(1, d1), (2, d1 + rng.randint(21, 56) * DAY)]
        d1 = _triangular_day(rng, start, cutoff - 240 * DAY)
        d2 = d1 + rng.randint(21, 56) * DAY
        if pattern == "d2_late3":
            return [(1, d1), (2, d2), (3, cutoff + rng.randint(1, 100) * DAY)]
        return [(1, d1), (2, d2), (3, _triangular_day(rng, d2 + 180 * DAY, cutoff, 0.3))]

    def _categories(
        self, band: str, members: list[tuple[Person, str | None]]
    ) -> list[tuple[Person, str, bool]]:
        """Exact category sizes (flagged when forced); low-coverage villages lag behind."""
        rng = self.rng
        sizes = {k: _scaled(v, self.scale) for k, v in CATEGORY_SIZES[band].items()}
        forced = [(p, f) for p, f in members if f is not None]
        for _, f in forced:
            sizes[f] = max(sizes.get(f, 0), sum(1 for _, g in forced if g == f))
        assigned: list[tuple[Person, str, bool]] = [(p, f, True) for p, f in forced]
        free = [p for p, f in members if f is None]
        early = sizes.pop("d1_vlist_early", 0)
        if early:
            lists = set(self.roles["village_lists"])
            pool = [p for p in free if p.village in lists]
            picked = rng.sample(pool, min(early, len(pool)))
            assigned += [(p, "d1_vlist_early", False) for p in picked]
            taken = {p.pid for p in picked}
            free = [p for p in free if p.pid not in taken]
        for _, f in forced:
            sizes[f] -= 1
        low = set(self.roles["low_coverage"])
        keyed = sorted(free, key=lambda p: -(rng.random() + (0.1 if p.village in low else 0.0)))
        sizes["none"] = len(keyed) - sum(sizes.values())
        if sizes["none"] < 0:
            raise ValueError(f"scale too small for the {band} dose categories")
        i = 0
        for pattern in PATTERNS:
            count = sizes.get(pattern, 0)
            assigned += [(p, pattern, False) for p in keyed[i : i + count]]
            i += count
        return assigned

    def _vaccine(self, p: Person) -> str:
        """Primary-series maker; children only got the inactivated vaccines."""
        makers = MAKERS_CHILD if p.band in ("teen", "child") else MAKERS_ADULT
        return self.rng.choices([m for m, _ in makers], weights=[w for _, w in makers])[0]

    def build_doses(
        self, by_band: dict[str, list[tuple[Person, str | None]]], others: list[Person]
    ) -> tuple[list[list[DoseRecord]], dict[int, list[DoseRecord]]]:
        """Clinic exports and villages' own lists, the earliest copy of each dose at its date."""
        rng, cutoff = self.rng, self.cutoff
        planned: list[tuple[Person, str, str, bool]] = []
        for band, members in by_band.items():
            for p, pattern, forced in self._categories(band, members):
                planned.append((p, pattern, band, forced))
        for p in others:
            age = people.age_at(p.birth, cutoff)
            band = "elderly" if age >= 60 else "adult" if age >= 18 else "teen"
            weights = (30, 10, 25, 35) if p.status == "deceased" else (15, 0, 15, 70)
            if p.status == "":
                weights = (0, 20, 30, 50)
            pattern = rng.choices(("none", "d1", "d2", "d3"), weights=weights)[0]
            planned.append(
                (p, "d2" if band == "teen" and pattern == "d3" else pattern, band, False)
            )
        planned.sort(key=lambda t: t[0].pid)

        clinic_records: list[list[DoseRecord]] = [[] for _ in self.config.clinics]
        lists = {v: [] for v in self.roles["village_lists"]}
        hospital = len(self.sites) - 1
        on_cutoff = {people.shift_years(cutoff, -60), people.shift_years(cutoff, -18)}
        for p, pattern, band, forced in planned:
            if pattern == "none":
                continue
            p.mode = self._modes(p)
            vaccine = self._vaccine(p)
            own_clinic = self.village_clinic.get(p.village)
            listed = p.village in lists and band == "elderly" and p.on_roster
            dates = self._dates(pattern, band)
            if forced and p.birth in on_cutoff:
                # Turned 60 (18) on R and had the last dose on R itself: both count.
                dates[-1] = (dates[-1][0], cutoff)
            for dose, on in dates:
                sequential = dose == 3 and rng.random() < 0.25
                maker = rng.choice(SEQUENTIAL_MAKERS) if sequential else vaccine
                site = own_clinic if own_clinic is not None and rng.random() < 0.4 else None
                site = self.main_clinic if site is None else site
                record = DoseRecord(p.pid, dose, on, site, maker, sequential)
                if pattern == "d1_vlist_early":
                    # The clinic keyed it in days later, after R; the village wrote the real day.
                    late = on + max(rng.randint(1, 5), (cutoff - on).days + 1) * DAY
                    clinic_records[site].append(record._replace(on=late))
                    lists[p.village].append(record)
                    continue
                if listed and rng.random() < 0.03:
                    lists[p.village].append(record._replace(site=hospital))
                    continue
                r = rng.random()
                if listed and r < 0.6:
                    if r < 0.05 and (on + 7 * DAY <= cutoff or on > cutoff):
                        clinic_records[site].append(
                            record._replace(on=on + rng.randint(1, 7) * DAY)
                        )
                        lists[p.village].append(record)
                        continue
                    later = on + (rng.randint(1, 7) * DAY if r < 0.12 else dt.timedelta(0))
                    lists[p.village].append(record._replace(on=later))
                clinic_records[site].append(record)
        for records in clinic_records:
            records.sort(key=lambda d: (d.on, d.pid, d.dose))
        return clinic_records, lists

    # --- ledgers -------------------------------------------------------------------------

    def _partition(self, total: int, parts: int, exact: bool = False) -> list[int]:
        """``total`` split into ``parts`` positive amounts, mostly round unless ``exact``."""
        rng = self.rng
        parts = max(1, min(parts, total))
        if total <= 0:
            return []
        weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
        unit = 100 if total / parts >= 1000 else 10 if total / parts >= 100 else 1
        unit = 1 if exact else unit
        amounts = [max(unit, round(total * w / sum(weights) / unit) * unit) for w in weights[:-1]]
        rest = total - sum(amounts)
        if rest <= 0:
            cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
            bounds = [0, *cuts, total]
            return [b - a for a, b in itertools.pairwise(bounds)]
        return [*amounts, rest]

    def _split_by_weight(self, total: int) -> list[int]:
        """``total`` shared among villages by population weight (largest remainder)."""
        raw = [total * w / sum(self.weights) for w in self.weights]
        shares = [int(x) for x in raw]
        order = sorted(range(len(raw)), key=lambda i: (shares[i] - raw[i], i))
        for i in order[: total - sum(shares)]:
            shares[i] += 1
        return shares

    def build_publicity(
        self,
    ) -> tuple[dict[int, list[PublicityRow]], dict[int, list[PublicityRow]]]:
        """Each village's log (the corrected one where a village re-submitted) and the draft."""
        rng = self.rng
        period_end = min(self.config.period.end, self.cutoff)
        logs: dict[int, list[PublicityRow]] = {i: [] for i in range(len(self.weights))}
        for kind, golden in PUBLICITY_TOTALS.items():
            lo, hi = PUBLICITY_ROWS[kind]
            for village, share in enumerate(self._split_by_weight(_scaled(golden, self.scale))):
                for amount in self._partition(share, rng.randint(lo, hi)):
                    on = _uniform_day(rng, self.config.period.start, period_end)
                    logs[village].append(
                        PublicityRow(on, kind, amount, rng.choice(PUBLICITY_PLACES))
                    )
        for rows in logs.values():
            rows.sort(key=lambda r: (r.on, r.kind, r.quantity))
        drafts: dict[int, list[PublicityRow]] = {}
        for village in self.roles["corrected_publicity"]:
            final = logs[village]
            draft = [
                PublicityRow(r.on, r.kind, r.quantity + 10 * rng.randint(1, 9), r.place)
                if rng.random() < 0.25
                else r
                for r in final[:-3]
            ]
            drafts[village] = draft
        return logs, drafts

    def build_verification(self) -> list[VerificationRow]:
        """Pushes of roster persons, strangers (查无此人) and repeats (重复推送)."""
        rng, cutoff = self.rng, self.cutoff
        start, end = self.config.period.start, min(self.config.period.end, cutoff)
        base = [p for p in self.persons if p.on_roster and p.status in STATUS_IN_BASE]
        sources = ("省大数据中心", "市疫情防控指挥部", "县疫情防控指挥部", "县公安局", "通信行程卡")
        rows: list[VerificationRow] = []
        pushed: list[VerificationRow] = []
        measures = ("居家健康监测", "核酸检测", "集中隔离", "无需管控")
        for _ in range(max(20, _scaled(360, self.scale))):
            on = _uniform_day(rng, start, end - 2 * DAY)
            r = rng.random()
            if r < 0.06 and pushed:
                first = rng.choice(pushed)
                result, measure, pid, village = "重复推送", "无需管控", first.pid, first.village
            elif r < 0.14:
                birth = people.birth_for_age(rng.randint(20, 60), cutoff, rng)
                stranger = self._new_person(
                    birth, "pushed", "", False, people.outside_area(rng), self._village()
                )
                result, measure, pid, village = (
                    "查无此人",
                    "无需管控",
                    stranger.pid,
                    stranger.village,
                )
            else:
                p = rng.choice(base)
                pid, village = p.pid, p.village
                if rng.random() < 0.88:
                    result = "已落实"
                    measure = rng.choices(measures, weights=(50, 30, 8, 12))[0]
                else:
                    result, measure = "外出未返", "无需管控"
            lag = rng.choices((0, 1, 2, 3), weights=(60, 28, 8, 4))[0]
            done = None if result == "外出未返" and rng.random() < 0.5 else on + lag * DAY
            row = VerificationRow(on, rng.choice(sources), pid, village, result, measure, done)
            rows.append(row)
            if result != "查无此人":
                pushed.append(row)
        rows.sort(key=lambda r: (r.pushed_on, r.pid))
        return rows

    def build_grids(self, households: dict[int, int]) -> list[GridRow]:
        """A few grids per village sharing its households; some villages send none."""
        rng = self.rng
        missing = set(self.roles["missing_grid"])
        rows: list[GridRow] = []
        for village, v in enumerate(self.config.villages):
            if village in missing:
                continue
            total = households[village]
            count = min(8, max(3, round(total / 90)))
            for k, h in enumerate(self._partition(total, count, exact=True), start=1):
                visited = h - rng.randint(0, max(1, h // 20))
                leader = people.person_name(dt.date(1975, 1, 1), rng.random() < 0.7, rng)
                on = _uniform_day(rng, self.cutoff - 40 * DAY, self.cutoff - DAY)
                checked = round(visited * rng.uniform(2.3, 3.0))
                rows.append(
                    GridRow(
                        f"{v.code}{k:02d}",
                        village,
                        leader,
                        rng.randint(2, 5),
                        h,
                        visited,
                        on,
                        checked,
                    )
                )
        return rows

    def build_key_places(self) -> list[KeyPlaceRow]:
        """Inspections of markets, schools, clinics, temples and firms over the period."""
        rng, town = self.rng, self.config.township.name
        stem = town.removesuffix("镇").removesuffix("乡")
        villages = self.config.villages
        places = [
            (f"{stem}农贸市场", "农贸市场", 0),
            (f"{stem}镇中心小学", "学校", 0),
            (f"{stem}镇中学", "学校", 0),
            (f"{stem}镇中心幼儿园", "幼儿园", 0),
            (f"{stem}镇敬老院", "养老机构", 0),
            (f"{stem}宾馆", "宾馆", 0),
            ("福寿寺", "宗教场所", 1),
            ("好又多超市", "商超", 0),
            ("惠民超市", "商超", 2),
            ("湘味餐馆", "餐饮", 0),
            ("农家乐饭庄", "餐饮", 3),
            ("恒达建材有限公司", "企业", 4),
            ("绿源农产品加工厂", "企业", 5),
            (self.sites[self.main_clinic], "医疗机构", 0),
        ]
        clinic_village = {c: v for v, c in self.village_clinic.items()}
        for i, c in enumerate(self.config.clinics):
            if c.kind != "镇卫生院":
                places.append((c.name, "医疗机构", clinic_village.get(i, 0)))
        for i in range(0, len(villages), 3):
            places.append((f"{villages[i].name}幼儿园", "幼儿园", i))
        rows: list[KeyPlaceRow] = []
        start, end = self.config.period.start, min(self.config.period.end, self.cutoff)
        for _ in range(max(30, 3 * len(villages))):
            name, kind, village = rng.choice(places)
            problems = rng.choices((0, 1, 2, 3), weights=(50, 30, 15, 5))[0]
            rectified = problems == 0 or rng.random() < 0.85
            rows.append(
                KeyPlaceRow(
                    _uniform_day(rng, start, end),
                    name,
                    kind,
                    village % len(villages),
                    problems,
                    rectified,
                )
            )
        rows.sort(key=lambda r: (r.on, r.place))
        return rows

    def build_meetings(self) -> list[MeetingRow]:
        """The township's meetings and documents of the year."""
        town = self.config.township.name
        short = town[0]
        year = self.cutoff.year

        def d(month: int, day: int) -> dt.date:
            return dt.date(year, month, day)

        meetings = [
            (d(1, 6), "党委会", f"{town}党委会专题研究疫情防控工作"),
            (d(1, 18), "部署会", f"{town}春节期间疫情防控工作部署会"),
            (d(2, 21), "调度会", "新冠病毒疫苗接种工作调度会"),
            (d(3, 15), "专题会", "疫情防控专题会议"),
            (d(4, 8), "党委会", f"{town}党委会研究疫情防控指挥部调整事项"),
            (d(5, 10), "部署会", f"{town}推进党建引领群防群控示范村(社区)创建工作部署会"),
            (d(6, 2), "调度会", "60岁以上老年人疫苗接种工作调度会"),
            (d(7, 12), "专题会", "大数据核查及重点人员管控专题会"),
            (d(8, 25), "调度会", "疫情防控工作调度会"),
            (d(9, 20), "部署会", "国庆期间疫情防控工作部署会"),
            (d(11, 14), "专题会", "重点场所疫情防控专题会"),
            (d(12, 9), "部署会", "贯彻落实优化疫情防控措施部署会"),
        ]
        documents = [
            (
                d(1, 10),
                "方案",
                f"《{town}新型冠状病毒肺炎疫情防控工作方案》",
                f"{short}政发〔{year}〕2号",
            ),
            (
                d(4, 12),
                "通知",
                f"《关于调整{town}新冠肺炎疫情防控指挥部组成人员的通知》",
                f"{short}政办发〔{year}〕9号",
            ),
            (
                d(5, 12),
                "方案",
                f"《{town}推进党建引领群防群控示范村(社区)创建工作方案》",
                f"{short}发〔{year}〕15号",
            ),
            (
                d(6, 6),
                "通知",
                "《关于进一步做好60岁以上老年人新冠病毒疫苗接种工作的通知》",
                f"{short}政办发〔{year}〕21号",
            ),
        ]
        rows = [MeetingRow(on, title, kind, "") for on, kind, title in meetings]
        rows += [MeetingRow(on, title, kind, number) for on, kind, title, number in documents]
        rows.sort(key=lambda r: r.on)
        return rows

    def build_demonstration(self) -> list[DemonstrationRow]:
        """Which villages joined the demonstration campaign, and how far they got."""
        rng = self.rng
        rows = []
        for village in range(len(self.config.villages)):
            part = rng.random() < 0.6 or village == 0
            stage = rng.choices(("启动", "推进", "验收通过"), weights=(3, 4, 3))[0] if part else ""
            party = rng.randint(8, 40) if part else 0
            volunteers = rng.randint(15, 80) if part else 0
            rows.append(DemonstrationRow(village, part, stage, party, volunteers))
        return rows

    def build_reserves(self) -> tuple[list[ReserveRow], dict[int, dict[str, int]]]:
        """Reserve snapshots per clinic; the 镇卫生院 is short of antipyretics at R."""
        rng, cutoff = self.rng, self.cutoff
        dates = (cutoff - 50 * DAY, cutoff - 20 * DAY, cutoff - 5 * DAY)
        rows: list[ReserveRow] = []
        quotas: dict[int, dict[str, int]] = {}
        for i, clinic in enumerate(self.config.clinics):
            main = i == self.main_clinic
            quotas[i] = (
                {
                    "oxygen_concentrators": 5,
                    "oximeters": 30,
                    "antipyretic_boxes": 300,
                    "antigen_tests": 1500,
                }
                if main
                else {"oximeters": 5, "antipyretic_boxes": 50, "antigen_tests": 200}
            )
            for k, on in enumerate(dates):
                if main:
                    items = {
                        "beds": 40,
                        "fever_rooms": 1,
                        "oxygen_concentrators": 6 + k,
                        "oximeters": 40 + 5 * k,
                        "antipyretic_boxes": 420 - 130 * k,
                        "antigen_tests": 2600 - 300 * k,
                    }
                else:
                    short = _short_clinic(clinic)
                    items = {
                        "beds": rng.randint(0, 2),
                        "fever_rooms": 0,
                        "oxygen_concentrators": rng.randint(0, 1),
                        "oximeters": rng.randint(5, 9),
                        "antipyretic_boxes": rng.randint(60, 90) - (30 * k if short else 0),
                        "antigen_tests": rng.randint(250, 400),
                    }
                rows.append(ReserveRow(i, on, items))
            if main:
                # A snapshot after R: loaded, but "latest row dated <= R" must not take it.
                later = {
                    "beds": 40,
                    "fever_rooms": 1,
                    "oxygen_concentrators": 8,
                    "oximeters": 60,
                    "antipyretic_boxes": 500,
                    "antigen_tests": 3000,
                }
                rows.append(ReserveRow(i, cutoff + 8 * DAY, later))
        return rows, quotas


def _relation(is_head: bool, is_spouse: bool, years_younger: int) -> str:
    """与户主关系 from the age gap to the head of household."""
    if is_head:
        return "户主"
    if is_spouse:
        return "配偶"
    if 16 <= years_younger < 45:
        return "子女"
    if years_younger >= 45:
        return "孙子女"
    return "父母" if years_younger <= -16 else "其他"


def _short_clinic(clinic: Clinic) -> bool:
    """The first village clinic in the demo config runs short of antipyretics."""
    return clinic.code.endswith("01")


def build_plan(config: TownshipConfig, seed: int, scale: float) -> Plan:
    """The whole calibrated truth for one generation."""
    b = _Builder(config, seed, scale)
    by_band = b.build_residents()
    out, visitors = b.build_others()
    households = b.arrange_households()
    b.mark_rosters()
    clinic_records, village_lists = b.build_doses(by_band, out + visitors)
    publicity, drafts = b.build_publicity()
    verification = b.build_verification()
    reserves, quotas = b.build_reserves()
    return Plan(
        config=config,
        seed=seed,
        scale=scale,
        cutoff=b.cutoff,
        ids=b.ids,
        persons=b.persons,
        sites=b.sites,
        clinic_records=clinic_records,
        village_lists=village_lists,
        publicity=publicity,
        publicity_draft=drafts,
        verification=verification,
        grids=b.build_grids(households),
        key_places=b.build_key_places(),
        meetings=b.build_meetings(),
        demonstration=b.build_demonstration(),
        reserves=reserves,
        reserve_quotas=quotas,
        households=households,
        groups=b.groups,
        roles=b.roles,
    )

"""Writes the national data set row by row (bench/scale.py calls it)."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from actions import workflow
from actions.models import ActionSheet, Approval, FundingLine, Objective, Stake
from conventions.models import (
    Caf,
    Collectivity,
    Committee,
    CommitteeMember,
    Convention,
    Meeting,
    Side,
    Signatory,
    Thematic,
    User,
)
from ctg.dates import add_years
from diagnostics import cafdata
from diagnostics.models import (
    Diagnostic,
    Finding,
    StatisticDefinition,
    StatisticImport,
    TerritoryStatistic,
)
from evaluation.models import (
    ChangeSought,
    Indicator,
    IndicatorTarget,
    Measurement,
    MeasurementPart,
    Observation,
    ProgressMarker,
    SharedIndicator,
)

from .fastinsert import FastWriter
from .scale_data import (
    BENCH_EMAILS,
    BREAKDOWN_EVERY,
    EMAIL_DOMAIN,
    FAVORABLE,
    FIRST_NAMES,
    FREQUENCY_WEIGHTS,
    FUNDERS,
    INDICATOR_NAMES,
    LAST_NAMES,
    MEASURED_PHASES,
    MEASURED_SHEET_STATUSES,
    PHASE_WEIGHTS,
    PLACE_ROOTS,
    PLACE_SUFFIXES,
    SHARED_FICHE_EVERY,
    SHARED_INDICATORS,
    SHEET_COLUMNS,
    SHEET_STATUS_WEIGHTS,
    SHEET_TITLES,
    SPREADSHEET_EVERY,
    SUFFIX,
    TARGETS_EVERY,
    TO_REVIEW,
    S,
    luhn_siren,
    make_plan,
    money,
    month_start,
    period_ends,
    weighted,
)

PENDING = Measurement.State.PENDING.value
VALIDATED = Measurement.State.VALIDATED.value

INVESTMENT, OPERATING = FundingLine.Nature.INVESTMENT.value, FundingLine.Nature.OPERATING.value
TYPED = Measurement.SourceKind.TYPED.value
SPREADSHEET = Measurement.SourceKind.SPREADSHEET.value
OPEN_DATA = Measurement.SourceKind.OPEN_DATA.value
NO_SHEET = {column: "" for column in SHEET_COLUMNS} | {
    "aggregation": "aucune",
    "breakdown": "aucune",
}


class Generator:
    def __init__(
        self,
        *,
        conventions: int,
        seed: int,
        today: datetime.date | None = None,
        largest_fiches: int = 40,
    ):
        self.rng = random.Random(seed)
        # The draws of the #16 parts (breakdowns, yearly targets): their own stream.
        self.rng16 = random.Random(seed + 16)
        self.largest_fiches = largest_fiches
        self.n = conventions
        self.today = today or timezone.localdate()
        self.now = timezone.now()
        self.w = FastWriter()
        self.thematics = list(Thematic.objects.filter(is_active=True).values_list("pk", flat=True))
        if not self.thematics:
            raise ValueError("Aucune thématique : appliquez les migrations d'abord.")
        self.statistics = list(StatisticDefinition.objects.values_list("pk", "code"))
        self.taken_codes = set(Collectivity.objects.values_list("kind", "code"))
        self.siren_counter = 24_900_000
        self.largest_convention_id: int | None = None
        self.largest_epci_id: int | None = None
        self.largest_copil_member_id: int | None = None
        self.password_hash = ""
        self.member_user_id: int | None = None
        self.first_convention_of: dict[int, tuple[int, datetime.date]] = {}
        # The Caf and convention being built: their shared indicators (by code), open-data
        # imports (by data set) and communes.
        self.shared_ids: dict[str, int] = {}
        self.import_ids: dict[str, int] = {}
        self.communes: list[int] = []
        w = self.w
        # Tables in parent-first order (flushed in this order at the end).
        self.t_caf = w.table(Caf, ["id", "name", "department_code"])
        self.t_coll = w.table(
            Collectivity, ["id", "kind", "name", "code", "population", "parent_epci_id", "caf_id"]
        )
        self.t_user = w.table(
            User,
            [
                "id", "password", "email", "first_name", "last_name", "role", "caf_id",
                "collectivity_id", "job_title", "is_active", "date_joined",
            ],
        )  # fmt: skip
        self.t_conv = w.table(
            Convention,
            [
                "id", "caf_id", "name", "start_date", "end_date", "phase", "signed_on",
                "vision", "horizon_year", "previous_id", "reporting_frequency",
            ],
        )  # fmt: skip
        self.t_conv_them = w.table(Convention.thematics.through, ["convention_id", "thematic_id"])
        self.t_conv_terr = w.table(
            Convention.territories.through, ["convention_id", "collectivity_id"]
        )
        self.t_sign = w.table(
            Signatory,
            [
                "id", "convention_id", "collectivity_id", "caf_id", "partner_kind",
                "partner_name", "role", "representative_name", "representative_title",
                "resolution_reference", "resolution_date", "signed_on", "order",
            ],
        )  # fmt: skip
        self.t_committee = w.table(
            Committee, ["id", "convention_id", "kind", "name", "approvals_required_per_side"]
        )
        self.t_member = w.table(
            CommitteeMember, ["id", "committee_id", "side", "name", "function", "user_id"]
        )
        self.t_meeting = w.table(Meeting, ["committee_id", "date", "location", "agenda"])
        self.t_diag = w.table(
            Diagnostic, ["id", "convention_id", "method", "start_date", "end_date", "summary"]
        )
        self.t_finding = w.table(
            Finding, ["diagnostic_id", "thematic_id", "kind", "text", "priority", "source"]
        )
        self.t_stake = w.table(Stake, ["id", "convention_id", "thematic_id", "title"])
        self.t_objective = w.table(
            Objective,
            ["id", "convention_id", "thematic_id", "stake_id", "parent_id", "level", "title"],
        )
        self.t_sheet = w.table(
            ActionSheet,
            [
                "id", "convention_id", "number", "title", "thematic_id", "objective_id",
                "context", "goals", "target_public", "lead", "partners", "start_date",
                "end_date", "status", "version", "approved_version",
            ],
        )  # fmt: skip
        self.t_funding = w.table(
            FundingLine,
            ["sheet_id", "funder", "year", "nature", "planned_amount", "spent_amount"],
        )
        self.t_approval = w.table(
            Approval, ["sheet_id", "member_id", "version", "decision", "comment", "decided_at"]
        )
        self.t_shared = w.table(
            SharedIndicator,
            [
                "id", "caf_id", "code", "name", "kind", "unit", "direction", "source",
                "frequency", *SHEET_COLUMNS,
            ],
        )  # fmt: skip
        self.t_import = w.table(
            StatisticImport,
            [
                "id", "caf_id", "dataset", "dataset_label", "filename", "producer", "vintage",
                "method", "imported_at", "token", "created_count", "conventions_count",
            ],
        )  # fmt: skip
        self.t_indicator = w.table(
            Indicator,
            [
                "id", "action_sheet_id", "objective_id", "name", "kind", "unit",
                "baseline_value", "baseline_date", "target_value", "target_date",
                "direction", "source", "frequency", "shared_id", *SHEET_COLUMNS,
            ],
        )  # fmt: skip
        self.t_target = w.table(IndicatorTarget, ["indicator_id", "year", "value"])
        self.t_measure = w.table(
            Measurement,
            [
                "id", "indicator_id", "date", "value", "validation_state", "source_kind",
                "source_import_id",
            ],
        )  # fmt: skip
        self.t_part = w.table(MeasurementPart, ["measurement_id", "collectivity_id", "value"])
        self.t_change = w.table(
            ChangeSought, ["id", "convention_id", "thematic_id", "actor", "title"]
        )
        self.t_marker = w.table(ProgressMarker, ["id", "change_id", "level", "text", "order"])
        self.t_observation = w.table(Observation, ["marker_id", "date", "degree", "text"])
        self.t_stat = w.table(
            TerritoryStatistic, ["collectivity_id", "statistic_id", "year", "value", "source"]
        )

    # ------------------------------------------------------------------ helpers
    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def next_siren(self) -> str:
        while True:
            self.siren_counter += 1
            code = luhn_siren(str(self.siren_counter))
            if ("epci", code) not in self.taken_codes:
                return code

    # -------------------------------------------------------------------- build
    def run(self) -> dict[str, int]:
        from django.contrib.auth.hashers import make_password

        self.password_hash = make_password(None)  # unusable: the bench logs in with force_login
        plan = make_plan(self.n)
        for caf_index, ((code, dep_name), n_epcis, n_conv) in enumerate(
            zip(plan.cafs, plan.epcis_per_caf, plan.conventions_per_caf, strict=True)
        ):
            caf_id = self.w.next_id(Caf)
            self.t_caf.add((caf_id, f"Caf {code} {dep_name} {SUFFIX}", code))
            self.t_user.add(
                (
                    self.w.next_id(User), self.password_hash,
                    f"agent{caf_id}.caf{code.lower()}@{EMAIL_DOMAIN}", self.rng.choice(FIRST_NAMES),
                    self.rng.choice(LAST_NAMES), User.Role.CAF_STAFF, caf_id, None,
                    "Conseiller·ère territorial·e", True, self.now,
                )
            )  # fmt: skip
            epcis = self.build_territory(caf_id, code, dep_name, n_epcis)
            self.build_shared(caf_id, code)
            # Extra conventions renew the earlier convention of the last EPCIs.
            renewed = [(len(epcis) - 1 - k) % len(epcis) for k in range(n_conv - len(epcis))]
            for i, (epci_id, communes) in enumerate(epcis):
                largest = caf_index == 0 and i == 0
                self.build_convention(
                    caf_id, epci_id, communes, largest=largest, renewal_of=None,
                    renewed=i in renewed and not largest,
                )  # fmt: skip
            for index in renewed:
                epci_id, communes = epcis[index]
                previous = self.first_convention_of[epci_id]
                self.build_convention(caf_id, epci_id, communes, largest=False, renewal_of=previous)
            if caf_index == 0:
                self.build_bench_users(caf_id)
        return self.w.finish()

    def build_territory(self, caf_id: int, code: str, dep_name: str, n_epcis: int):
        """EPCIs (valid SIREN) and their communes (INSEE codes of the département)."""
        insee_capacity = 99 if len(code) == 3 else 999
        insee_next = 1
        epcis = []
        for e in range(n_epcis):
            epci_id = self.w.next_id(Collectivity)
            root = self.rng.choice(PLACE_ROOTS)
            self.t_coll.add(
                (
                    epci_id, Collectivity.Kind.EPCI,
                    f"CC {root} {dep_name} n° {e + 1}", self.next_siren(),
                    self.rng.randint(8_000, 120_000), None, caf_id,
                )
            )  # fmt: skip
            communes = []
            wanted = 20 if (e == 0 and not self.largest_epci_id) else self.rng.randint(5, 15)
            for _ in range(wanted):
                while insee_next <= insee_capacity:
                    suffix = f"{insee_next:02d}" if len(code) == 3 else f"{insee_next:03d}"
                    insee_next += 1
                    insee = code + suffix
                    if ("commune", insee) not in self.taken_codes:
                        break
                else:
                    break  # the département is full: fewer communes
                commune_id = self.w.next_id(Collectivity)
                name = f"{self.rng.choice(PLACE_ROOTS)}-{self.rng.choice(PLACE_SUFFIXES)}"
                self.t_coll.add(
                    (
                        commune_id, Collectivity.Kind.COMMUNE, f"{name} ({insee})", insee,
                        self.rng.randint(300, 15_000), epci_id, caf_id,
                    )
                )  # fmt: skip
                communes.append(commune_id)
            if self.largest_epci_id is None:
                self.largest_epci_id = epci_id
            self.build_statistics(epci_id, [2021, 2022, 2023], scale=10)
            for commune_id in communes:
                self.build_statistics(commune_id, [2022, 2023], scale=1)
            epcis.append((epci_id, communes))
        return epcis

    def build_shared(self, caf_id: int, code: str) -> None:
        """The Caf's shared indicators (SDSF) and one open-data import per data set they
        are bound to (the values of the linked indicators point at it)."""
        self.shared_ids, self.import_ids = {}, {}
        for spec in SHARED_INDICATORS:
            shared_id = self.w.next_id(SharedIndicator)
            self.shared_ids[spec["code"]] = shared_id
            self.t_shared.add(
                (
                    shared_id, caf_id, spec["code"], spec["name"], spec["kind"], spec["unit"],
                    spec["direction"], spec["source"], spec["frequency"],
                    *(spec[column] for column in SHEET_COLUMNS),
                )
            )  # fmt: skip
            key = spec["open_data_dataset"]
            if key and key not in self.import_ids:
                dataset = cafdata.dataset(key)
                import_id = self.w.next_id(StatisticImport)
                self.import_ids[key] = import_id
                self.t_import.add(
                    (
                        import_id, caf_id, key, dataset.label, f"{key}_{code}.csv",
                        dataset.producer, self.today.year - 1, dataset.method,
                        self.now, f"jeu-echelle-{import_id}", 0, 0,
                    )
                )  # fmt: skip

    def build_statistics(self, collectivity_id: int, years: list[int], scale: int) -> None:
        rng = self.rng
        for stat_id, code in self.statistics:
            base = {
                "allocataires": 400 * scale,
                "enfants-moins-3-ans": 60 * scale,
                "taux-couverture": 55,
                "allocataires-bas-revenus": 120 * scale,
                "part-dependants-prestations": 18,
            }.get(code, 100)
            value = base * rng.uniform(0.6, 1.4)
            for year in years:
                value *= rng.uniform(0.97, 1.04)
                self.t_stat.add((collectivity_id, stat_id, year, money(value), "Caf / Insee"))

    def convention_dates(self, phase: str, *, renewal_of) -> tuple[datetime.date, datetime.date]:
        rng, today = self.rng, self.today
        years = rng.choice([4, 4, 5])
        if renewal_of is not None:
            start = renewal_of[1] + datetime.timedelta(days=1)
            return start, add_years(start, years) - datetime.timedelta(days=1)
        months_today = today.year * 12 + today.month - 1
        if phase == Convention.Phase.IMPLEMENTATION:
            # Started at least 6 months ago, ends at least 2 months from now.
            latest = months_today - 6
            earliest = max(2020 * 12, months_today - years * 12 + 3)
        elif phase == Convention.Phase.EVALUATION:
            latest = months_today - years * 12 + 3
            earliest = latest - 8
        elif phase in (Convention.Phase.CLOSED, Convention.Phase.RENEWED):
            latest = months_today - years * 12 - 1
            earliest = max(2019 * 12, latest - 18)
        else:  # preparation … signature: starting about now
            earliest = months_today - 3
            latest = months_today + 9
        month = rng.randint(min(earliest, latest), latest)
        start = month_start(month // 12, month % 12 + 1)
        return start, add_years(start, years) - datetime.timedelta(days=1)

    def build_convention(
        self, caf_id, epci_id, communes, *, largest: bool, renewal_of, renewed: bool = False
    ) -> None:
        """One convention and everything that hangs on it, step by step (the order of the
        steps is the order of the random draws: keep it for a reproducible data set)."""
        conv_id, phase, start, end, signed_on, thematics = self.build_convention_row(
            caf_id, epci_id, communes, largest=largest, renewal_of=renewal_of, renewed=renewed
        )
        self.build_signatories(conv_id, caf_id, epci_id, communes, signed_on)
        seats = self.build_committees(conv_id, phase, start, end)
        if largest:
            self.largest_copil_member_id = seats[Committee.Kind.COPIL][Side.TERRITORY][0]
        general, operational = self.build_diagnostic_and_objectives(conv_id, start, thematics)
        self.build_sheets(conv_id, phase, start, end, operational, seats, largest=largest)
        for k, (objective_id, _) in enumerate(general):
            self.build_indicator(
                None, objective_id, start, end, phase in MEASURED_PHASES,
                shared=SHARED_INDICATORS[k % (len(SHARED_INDICATORS) - 1)],
            )  # fmt: skip
        self.build_follow_up(conv_id, thematics, end, measured=phase in MEASURED_PHASES)

    def build_convention_row(
        self, caf_id, epci_id, communes, *, largest: bool, renewal_of, renewed: bool
    ) -> tuple:
        rng, w = self.rng, self.w
        conv_id = w.next_id(Convention)
        self.communes = communes
        if largest:
            phase = Convention.Phase.IMPLEMENTATION
            start = month_start(self.today.year - 2, 1)
            end = add_years(start, 5) - datetime.timedelta(days=1)
            self.largest_convention_id = conv_id
        elif renewal_of is not None:
            phase = Convention.Phase.IMPLEMENTATION
            start, end = self.convention_dates(phase, renewal_of=renewal_of)
            if start > self.today - datetime.timedelta(days=180):
                phase = Convention.Phase.SIGNATURE
        else:
            phase = Convention.Phase.RENEWED if renewed else weighted(rng, PHASE_WEIGHTS)
            start, end = self.convention_dates(phase, renewal_of=None)
        if epci_id not in self.first_convention_of:
            self.first_convention_of[epci_id] = (conv_id, end)
        previous_id = renewal_of[0] if renewal_of else None
        signed = phase in MEASURED_PHASES
        signed_on = start - datetime.timedelta(days=rng.randint(10, 60)) if signed else None
        self.t_conv.add(
            (
                conv_id, caf_id, f"CTG n° {conv_id} {SUFFIX}", start, end, phase, signed_on,
                "Un territoire où chaque famille trouve une réponse à ses besoins.",
                end.year, previous_id, rng.choice(["yearly", "yearly", "half_yearly"]),
            )
        )  # fmt: skip
        thematics = rng.sample(self.thematics, k=min(len(self.thematics), rng.randint(4, 7)))
        for thematic_id in thematics:
            self.t_conv_them.add((conv_id, thematic_id))
        for coll_id in [epci_id, *communes]:
            self.t_conv_terr.add((conv_id, coll_id))
        return conv_id, phase, start, end, signed_on, thematics

    def build_signatories(self, conv_id, caf_id, epci_id, communes, signed_on) -> None:
        rng, w = self.rng, self.w
        # Signatories: the Caf, the EPCI (lead), some communes, the Département.
        order = 0
        for collectivity_id, caf, partner_kind, partner_name, role in [
            (None, caf_id, "", "", Signatory.Role.SIGNATORY),
            (epci_id, None, "", "", Signatory.Role.LEAD),
            *[(c, None, "", "", Signatory.Role.SIGNATORY) for c in communes[: rng.randint(1, 3)]],
            (None, None, Signatory.PartnerKind.DEPARTEMENT, "Conseil départemental", "signataire"),
        ]:
            resolution = signed_on - datetime.timedelta(days=20) if signed_on else None
            self.t_sign.add(
                (
                    w.next_id(Signatory), conv_id, collectivity_id, caf, partner_kind,
                    partner_name, role, self.person(), "Président·e" if order else "Directeur·rice",
                    f"DEL-{conv_id}-{order}" if signed_on else "", resolution, signed_on, order,
                )
            )  # fmt: skip
            order += 1

    def build_committees(self, conv_id, phase, start, end) -> dict:
        rng, w = self.rng, self.w
        # Committees: COPIL and technical committee, members on both sides.
        seats = {}
        for kind, label in [
            (Committee.Kind.COPIL, "Comité de pilotage"),
            (Committee.Kind.TECHNICAL, "Comité technique"),
        ]:
            committee_id = w.next_id(Committee)
            self.t_committee.add((committee_id, conv_id, kind, label, 1))
            caf_n = rng.randint(2, 4)
            territory_n = caf_n if rng.random() < 0.8 else caf_n + rng.choice([-1, 1])
            members = {Side.CAF: [], Side.TERRITORY: []}
            for side, n in [(Side.CAF, caf_n), (Side.TERRITORY, territory_n)]:
                for _ in range(n):
                    member_id = w.next_id(CommitteeMember)
                    function = "Conseiller·ère Caf" if side == Side.CAF else "Élu·e référent·e"
                    self.t_member.add(
                        (member_id, committee_id, side, self.person(), function, None)
                    )
                    members[side].append(member_id)
            seats[kind] = members
            # Meetings: COPIL yearly, technical twice a year, one coming soon if active.
            per_year = 1 if kind == Committee.Kind.COPIL else 2
            day = start + datetime.timedelta(days=150)
            while day <= min(end, self.today):
                self.t_meeting.add((committee_id, self._at(day), "Mairie", "Point d'étape"))
                day += datetime.timedelta(days=365 // per_year)
            if phase == Convention.Phase.IMPLEMENTATION:
                soon = self.today + datetime.timedelta(days=rng.randint(5, 120))
                self.t_meeting.add((committee_id, self._at(soon), "Siège de l'EPCI", "Bilan"))
        return seats

    def build_diagnostic_and_objectives(self, conv_id, start, thematics) -> tuple[list, list]:
        rng, w = self.rng, self.w
        # Diagnostic, findings, stakes, objectives.
        diag_id = w.next_id(Diagnostic)
        diag_end = start - datetime.timedelta(days=30)
        self.t_diag.add(
            (
                diag_id, conv_id, "Ateliers, questionnaires et données Caf",
                diag_end - datetime.timedelta(days=180), diag_end,
                "Un territoire rural où l'offre d'accueil reste à consolider.",
            )
        )  # fmt: skip
        for thematic_id in thematics:
            self.t_finding.add(
                (diag_id, thematic_id, rng.choice(["atout", "faiblesse", "besoin", "offre"]),
                 "Constat partagé lors des ateliers.", rng.randint(1, 3), "atelier")
            )  # fmt: skip
        general, operational = [], []
        for thematic_id in thematics[:3]:
            stake_id = w.next_id(Stake)
            self.t_stake.add((stake_id, conv_id, thematic_id, "Répondre aux besoins des familles"))
            general_id = w.next_id(Objective)
            self.t_objective.add(
                (general_id, conv_id, thematic_id, stake_id, None, "general",
                 "Améliorer la réponse aux besoins des familles")
            )  # fmt: skip
            general.append((general_id, thematic_id))
            for k in range(2):
                op_id = w.next_id(Objective)
                self.t_objective.add(
                    (op_id, conv_id, thematic_id, stake_id, general_id, "operational",
                     f"Objectif opérationnel {k + 1}")
                )  # fmt: skip
                operational.append((op_id, thematic_id))
        return general, operational

    def build_sheets(self, conv_id, phase, start, end, operational, seats, *, largest) -> None:
        rng, w = self.rng, self.w
        # Fiches action.
        if largest:
            n_sheets = self.largest_fiches
        else:
            n_sheets = rng.randint(10, 30)
        if phase in MEASURED_PHASES - {Convention.Phase.IMPLEMENTATION}:
            weights = SHEET_STATUS_WEIGHTS["late"]
        elif phase in (Convention.Phase.PREPARATION, Convention.Phase.DIAGNOSTIC):
            weights = SHEET_STATUS_WEIGHTS["early"]
        else:
            weights = SHEET_STATUS_WEIGHTS[phase]
        measured_convention = phase in MEASURED_PHASES
        caf_seats = seats[Committee.Kind.COPIL][Side.CAF]
        territory_seats = seats[Committee.Kind.COPIL][Side.TERRITORY]
        for number in range(1, n_sheets + 1):
            sheet_id = w.next_id(ActionSheet)
            status = weighted(rng, weights)
            objective_id, thematic_id = rng.choice(operational)
            approved = status in workflow.VALIDATED
            self.t_sheet.add(
                (
                    sheet_id, conv_id, f"FA-{number:02d}", rng.choice(SHEET_TITLES), thematic_id,
                    objective_id, "Constat issu du diagnostic partagé.",
                    "Améliorer l'offre et sa lisibilité.", "Familles du territoire",
                    self.person(), "Caf, communes, associations", start, end, status, 1,
                    1 if approved else None,
                )
            )  # fmt: skip
            for funder in rng.sample(FUNDERS, k=rng.randint(1, 2)):
                for year in range(start.year, start.year + rng.randint(1, 2)):
                    planned = rng.uniform(2_000, 60_000)
                    spent = planned * rng.uniform(0, 1) if measured_convention else 0
                    # One line in four is investment (no draw: the same data as before).
                    nature = INVESTMENT if (sheet_id + year) % 4 == 0 else OPERATING
                    self.t_funding.add(
                        (sheet_id, funder, year, nature, money(planned), money(spent))
                    )
            if approved or status == S.SUBMITTED:
                decided = self._at(start - datetime.timedelta(days=40))
                self.t_approval.add((sheet_id, rng.choice(caf_seats), 1, FAVORABLE, "", decided))
                if approved:
                    self.t_approval.add(
                        (sheet_id, rng.choice(territory_seats), 1, FAVORABLE, "", decided)
                    )
            elif status == S.TO_REVIEW:
                self.t_approval.add(
                    (sheet_id, rng.choice(territory_seats), 1, TO_REVIEW,
                     "Préciser le calendrier.", self._at(start - datetime.timedelta(days=40)))
                )  # fmt: skip
            measured = measured_convention and status in MEASURED_SHEET_STATUSES
            for _ in range(rng.choice([3, 3, 4, 4, 4, 5])):
                self.build_indicator(sheet_id, None, start, end, measured)

    def build_follow_up(self, conv_id, thematics, end, *, measured: bool) -> None:
        w = self.w
        # Qualitative follow-up.
        for thematic_id in thematics[:2]:
            change_id = w.next_id(ChangeSought)
            self.t_change.add(
                (change_id, conv_id, thematic_id, "Les familles",
                 "Les familles connaissent l'offre du territoire")
            )  # fmt: skip
            for order, level in enumerate(["attendu", "souhaite", "ideal"]):
                marker_id = w.next_id(ProgressMarker)
                self.t_marker.add((marker_id, change_id, level, "Les familles s'informent", order))
                if measured and level == "attendu":
                    self.t_observation.add(
                        (marker_id, min(self.today, end), "partiel", "Observé en réunion.")
                    )

    def build_indicator(
        self, sheet_id, objective_id, start, end, measured: bool, *, shared: dict | None = None
    ) -> None:
        """One indicator and its measurements. ``shared``: linked to that shared indicator
        of the Caf (its reference sheet repeated, its baseline drawn in its range); one fiche
        indicator in ``SHARED_FICHE_EVERY`` links the last one; one in ``BREAKDOWN_EVERY``
        not measured monthly is broken down by commune."""
        rng = self.rng
        indicator_id = self.w.next_id(Indicator)
        if shared is None and sheet_id and indicator_id % SHARED_FICHE_EVERY == 7:
            shared = SHARED_INDICATORS[-1]
        name, unit = rng.choice(INDICATOR_NAMES)
        direction = weighted(rng, [("hausse", 75), ("baisse", 15), ("maintien", 10)])
        baseline = rng.uniform(*(shared["baseline"] if shared else (10, 500)))
        if shared:
            direction = shared["direction"]
        if direction == "hausse":
            target = baseline * rng.uniform(1.2, 2.0)
        elif direction == "baisse":
            target = baseline * rng.uniform(0.5, 0.85)
        else:
            target = baseline
        frequency = weighted(rng, FREQUENCY_WEIGHTS)
        kind = rng.choice(["realisation", "resultat", "moyens"])
        source = "Suivi du pilote"
        sheet = NO_SHEET
        if shared:
            name, kind, unit = shared["name"], shared["kind"], shared["unit"]
            source, frequency = shared["source"], shared["frequency"]
            sheet = shared
        elif indicator_id % BREAKDOWN_EVERY == 0 and frequency != "monthly":
            sheet = {**NO_SHEET, "aggregation": "somme", "breakdown": "commune"}
        self.t_indicator.add(
            (
                indicator_id, sheet_id, objective_id, name, kind, unit, money(baseline), start,
                money(target), end, direction, source, frequency,
                self.shared_ids[shared["code"]] if shared else None,
                *(sheet[column] for column in SHEET_COLUMNS),
            )
        )  # fmt: skip
        span = max(1, (end - start).days)
        delta = target - baseline
        if indicator_id % TARGETS_EVERY == 0:
            self.build_yearly_targets(indicator_id, start, end, baseline, delta, span)
        if not measured:
            return
        last = min(end, self.today)
        dates = [d for d in period_ends(start, last, frequency) if d < last or d == end]
        wanted = rng.randint(22, 42)
        dates = dates[-wanted:]
        if not dates:
            return
        pace = rng.uniform(0.5, 1.3)
        # One indicator in ten has its latest value typed by the territory and awaiting the
        # Caf's validation (no random draw: the rest of the data set stays the same).
        pending_last = indicator_id % 10 == 0
        dataset = sheet["open_data_dataset"]
        if dataset:
            source_kind, import_id, pending_last = OPEN_DATA, self.import_ids[dataset], False
        elif indicator_id % SPREADSHEET_EVERY == 1:
            source_kind, import_id = SPREADSHEET, None
        else:
            source_kind, import_id = TYPED, None
        broken_down = sheet["breakdown"] == "commune" and self.communes
        if broken_down:
            weights = [self.rng16.uniform(0.2, 1.0) for _ in self.communes]
            scale = sum(weights)
            weights = [x / scale for x in weights]
        for measurement_id, day in zip(self.w.ids(Measurement, len(dates)), dates, strict=True):
            share = (day - start).days / span
            value = baseline + delta * share * pace + baseline * rng.uniform(-0.03, 0.03)
            state = PENDING if pending_last and day == dates[-1] else VALIDATED
            value = money(value)
            self.t_measure.add(
                (measurement_id, indicator_id, day, value, state, source_kind, import_id)
            )
            if broken_down:
                self.build_parts(measurement_id, value, weights)

    def build_parts(self, measurement_id: int, value: str, weights: list[float]) -> None:
        """The value of each commune: shares of the total (in cents) that add up to it."""
        cents = round(float(value) * 100)
        left = cents
        for commune_id, weight in zip(self.communes[:-1], weights, strict=False):
            part = min(left, int(cents * weight))
            left -= part
            self.t_part.add((measurement_id, commune_id, f"{part / 100:.2f}"))
        self.t_part.add((measurement_id, self.communes[-1], f"{left / 100:.2f}"))

    def build_yearly_targets(self, indicator_id, start, end, baseline, delta, span) -> None:
        """A target per year, along the way to the final one (not quite a straight line)."""
        for year in range(start.year, end.year + 1):
            year_end = min(end, datetime.date(year, 12, 31))
            share = min(1.0, (year_end - start).days / span)
            if year < end.year:
                share *= self.rng16.uniform(0.85, 1.0)
            self.t_target.add((indicator_id, year, money(baseline + delta * share)))

    def _at(self, day: datetime.date) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(14, 0)))

    def build_bench_users(self, caf_id: int) -> None:
        """The users the bench logs in as, around the largest convention."""
        rng, w = self.rng, self.w
        for key, role, caf, coll, title in [
            ("caf_staff", User.Role.CAF_STAFF, caf_id, None, "Conseillère territoriale"),
            ("coordinator", User.Role.COORDINATOR, None, self.largest_epci_id, "Chargée de coopération"),
            ("elected", User.Role.ELECTED, None, self.largest_epci_id, "Vice-président"),
            ("member", User.Role.OTHER, None, None, "Membre du COPIL"),
        ]:  # fmt: skip
            user_id = w.next_id(User)
            self.t_user.add(
                (
                    user_id, self.password_hash, BENCH_EMAILS[key], rng.choice(FIRST_NAMES),
                    "Banc d'essai", role, caf, coll, title, True, self.now,
                )
            )  # fmt: skip
            if key == "member":
                self.member_user_id = user_id

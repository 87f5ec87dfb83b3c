"""Which API version each platform connector speaks: the versions it supports and its default.

One table for the four platforms, so a sunset is one edit here. Dates come from the platforms'
version pages (docs: /work/shared/PLATFORM_APIS.md): Meta's Marketing API version history,
Google Ads' sunset schedule, LinkedIn's monthly versions (each supported 12 months, sunset on
the 15th), X's single v12. A setting (`YENNI_<PLATFORM>_API_VERSION`) pins another version; an
empty one means the default. Plain Python, no Django.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass


class VersionRefused(ValueError):
    """A configured version or address Yenni will not call: the message says what to set."""


@dataclass(frozen=True)
class ApiVersion:
    name: str
    # The day the platform stops answering it; None while no date is announced.
    sunset: dt.date | None = None


@dataclass(frozen=True)
class PlatformVersions:
    """The versions of one platform's API, and how a version travels (URL path or header)."""

    platform: str
    label: str
    url_setting: str
    version_setting: str
    default: str
    # Known versions, oldest first; sunset ones stay listed so a pin to one gets its date.
    known: tuple[ApiVersion, ...] = ()
    # LinkedIn: LinkedIn-Version header; the others: a path segment after the base URL.
    in_path: bool = True
    # What a version looks like, to read numbers and to spot one left at the end of a URL.
    pattern: str = r"v(\d+)(?:\.0)?"

    def number(self, name: str) -> int | None:
        match = re.fullmatch(self.pattern, name)
        return int(match.group(1)) if match else None

    def sunset_of(self, name: str) -> dt.date | None:
        return next((v.sunset for v in self.known if v.name == name), None)

    def supported(self, *, today: dt.date) -> list[str]:
        """The versions Yenni may call today, oldest first."""
        return [v.name for v in self.known if v.sunset is None or today < v.sunset]

    def resolve(self, configured: str, *, today: dt.date) -> str:
        """Return the version to call: the configured one when it is usable, else the default.

        A version newer than every known one is accepted (a release newer than this table,
        tried before Yenni lists it); an unknown older one or a sunset one is refused.
        """
        name = (configured or "").strip() or self.default
        pinned = bool((configured or "").strip())
        sunset = self.sunset_of(name)
        where = f"{self.version_setting}={name}" if pinned else f"Yenni's default {name}"
        current = ", ".join(self.supported(today=today))
        if sunset is not None and today >= sunset:
            raise VersionRefused(
                f"{self.label} API {name} was sunset on {sunset.isoformat()} ({where}). Set "
                f"{self.version_setting} to a current version ({current}) or leave it empty "
                "for Yenni's default."
            )
        if any(v.name == name for v in self.known) or self._newer_than_known(name):
            return name
        raise VersionRefused(
            f"{self.label} API version {name!r} is not one Yenni knows ({self.version_setting}). "
            f"Current versions: {current}; leave it empty for Yenni's default, {self.default}."
        )

    def _newer_than_known(self, name: str) -> bool:
        number = self.number(name)
        newest = max((self.number(v.name) or 0 for v in self.known), default=0)
        return number is not None and number > newest

    def api_url(self, root: str, version: str) -> str:
        """Join the base URL and the version; refuse a base URL that already ends in one."""
        root = root.rstrip("/")
        if not root or not self.in_path:
            return root
        last = root.rsplit("/", 1)[-1]
        if self.number(last) is not None:
            raise VersionRefused(
                f"{self.url_setting}={root} ends with an API version. The version is its own "
                f"setting now: set {self.url_setting}={root.rsplit('/', 1)[0]} and "
                f"{self.version_setting}={last}, or leave the version empty for Yenni's default."
            )
        return f"{root}/{version}"


@dataclass(frozen=True)
class MonthlyVersions(PlatformVersions):
    """LinkedIn: a version a month (YYYYMM), each answered for 12 months, to the 15th."""

    pattern: str = r"(20\d\d)(0[1-9]|1[0-2])"

    def number(self, name: str) -> int | None:
        return int(name) if re.fullmatch(self.pattern, name) else None

    def sunset_of(self, name: str) -> dt.date | None:
        if self.number(name) is None:
            return None
        return dt.date(int(name[:4]) + 1, int(name[4:]), 15)

    def released(self, name: str) -> dt.date:
        return dt.date(int(name[:4]), int(name[4:]), 1)

    def supported(self, *, today: dt.date) -> list[str]:
        """The last twelve months' versions not yet sunset; this month's may not be out yet."""
        names = []
        year, month = today.year - 1, today.month
        for _ in range(12):
            name = f"{year}{month:02d}"
            if today < self.sunset_of(name):
                names.append(name)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return names

    def resolve(self, configured: str, *, today: dt.date) -> str:
        name = (configured or "").strip() or self.default
        if self.number(name) is not None and self.released(name) > today:
            raise VersionRefused(
                f"{self.label} API version {name} is not out yet ({self.version_setting}). "
                f"Current versions: {', '.join(self.supported(today=today))}."
            )
        if self.number(name) is not None and today < self.sunset_of(name):
            return name
        return super().resolve(configured, today=today)


VERSIONS: dict[str, PlatformVersions] = {
    "meta": PlatformVersions(
        platform="meta",
        label="Meta Marketing",
        url_setting="YENNI_META_API_URL",
        version_setting="YENNI_META_API_VERSION",
        default="v26.0",
        known=(
            ApiVersion("v24.0", dt.date(2026, 11, 10)),
            ApiVersion("v25.0", dt.date(2027, 2, 23)),
            ApiVersion("v26.0"),
        ),
        pattern=r"v(\d+)\.0",
    ),
    "google_ads": PlatformVersions(
        platform="google_ads",
        label="Google Ads",
        url_setting="YENNI_GOOGLE_ADS_API_URL",
        version_setting="YENNI_GOOGLE_ADS_API_VERSION",
        default="v26",
        # Four majors a year, each answered about 12 months; v23 replaced campaign.start_date
        # and end_date with start_date_time and end_date_time.
        known=(
            ApiVersion("v19", dt.date(2026, 2, 11)),
            ApiVersion("v20", dt.date(2026, 6, 10)),
            ApiVersion("v21", dt.date(2026, 8, 5)),
            ApiVersion("v22", dt.date(2026, 10, 7)),
            ApiVersion("v23"),
            ApiVersion("v24"),
            ApiVersion("v25"),
            ApiVersion("v26"),
        ),
        pattern=r"v(\d+)",
    ),
    "linkedin": MonthlyVersions(
        platform="linkedin",
        label="LinkedIn Marketing",
        url_setting="YENNI_LINKEDIN_API_URL",
        version_setting="YENNI_LINKEDIN_API_VERSION",
        # Answered until 2027-11-15; `ingest --check` warns as the day comes near.
        default="202611",
        in_path=False,
    ),
    "x": PlatformVersions(
        platform="x",
        label="X Ads",
        url_setting="YENNI_X_API_URL",
        version_setting="YENNI_X_API_VERSION",
        default="12",
        known=(ApiVersion("12"),),
        pattern=r"(\d+)",
    ),
}


def versions_of(platform: str) -> PlatformVersions | None:
    return VERSIONS.get(platform)

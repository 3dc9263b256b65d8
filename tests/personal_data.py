"""What a full ID number and a mobile number look like, for the scans of every output."""

from __future__ import annotations

import re

FULL_ID = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])[0-9]{5}[0-9Xx](?![0-9])"
)
# Not inside a longer run of letters and digits: hex file ids and hashes hold digit runs too.
PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")
